import { Command } from 'commander';
import { registerDetect } from './detect.js';
import { registerInspect } from './inspect.js';
import { registerKeygen } from './keygen.js';
import { registerLikeness } from './likeness.js';
import { registerProtect } from './protect.js';
import { registerServe } from './serve.js';
import { registerSign } from './sign.js';
import { registerVerify } from './verify.js';
import { registerWatermark } from './watermark.js';

/** Build the `provmark` command-line program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('provmark')
    .description('Content provenance: C2PA signing and verification, invisible watermarks, detection')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerKeygen(program);
  registerSign(program);
  registerVerify(program);
  registerProtect(program);
  registerInspect(program);
  registerDetect(program);
  registerServe(program);
  registerWatermark(program);
  registerLikeness(program);
  return program;
}
