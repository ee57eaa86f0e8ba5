/** The page's pure pieces, in Node: verdict mapping, the watermark key seed, the luma steps. */
import { describe, expect, it } from 'vitest';
import type { ValidationStatus } from '../../src/verify/types.js';
import { DEFAULT_WATERMARK_KEY, deriveWatermarkSeed } from '../../src/watermark/image.js';
import {
  engineState as sharedEngineState,
  stateSettingAside as sharedSettingAside,
} from '../../src/verify/state.js';
import { PUBLIC_WATERMARK_KEY, watermarkSeed } from '../../src/page/client/seed.js';
import { lumaOfRgba, workingSize } from '../../src/page/client/luma.js';
import { WORK_AREA } from '../../src/watermark/core/index.js';
import {
  embeddedVerdict,
  engineState,
  isAiGenerated,
  recoveredVerdict,
  stateSettingAside,
  type ManifestState,
  type ValidatedStore,
} from '../../src/page/client/verdict.js';

const s = (code: string, kind: ValidationStatus['kind'] = 'failure'): ValidationStatus => ({
  code,
  explanation: '',
  kind,
});

const store = (
  state: ManifestState,
  statuses: ValidationStatus[],
  softBindingId?: string,
): ValidatedStore => ({
  state,
  statuses,
  ingredients: [],
  manifestCount: 1,
  activeManifest: {
    manifestId: 'urn:c2pa:x',
    signer: {},
    actions: [],
    assertions: [],
    ingredients: [],
    softBindings: softBindingId ? [{ alg: 'org.provmark.watermark.1', values: [], softBindingId }] : [],
    identities: [],
    hasThumbnail: false,
  },
});

describe('page verdicts', () => {
  it('engineState and stateSettingAside are the functions verify() and inspect() use, not copies', () => {
    // The page bundles src/verify/state.ts (pure), so its state rule cannot drift from the Node path's.
    expect(engineState).toBe(sharedEngineState);
    expect(stateSettingAside).toBe(sharedSettingAside);
  });

  it('maps states to the inspect words: tampered, invalid credential and invalid kept apart', () => {
    expect(embeddedVerdict(store('trusted', []), undefined)).toBe('verified');
    expect(embeddedVerdict(store('valid', [s('signingCredential.untrusted')]), undefined)).toBe(
      'untrusted-signer',
    );
    expect(embeddedVerdict(store('invalid', [s('assertion.dataHash.mismatch')]), undefined)).toBe('tampered');
    expect(embeddedVerdict(store('invalid', [s('signingCredential.invalid')]), undefined)).toBe(
      'invalid-credential',
    );
    expect(embeddedVerdict(store('invalid', [s('signingCredential.expired')]), undefined)).toBe(
      'invalid-credential',
    );
    expect(
      embeddedVerdict(
        store('invalid', [s('signingCredential.invalid'), s('assertion.dataHash.mismatch')]),
        undefined,
      ),
    ).toBe('tampered');
    expect(embeddedVerdict(store('invalid', [s('cawg.identity.malformed')]), undefined)).toBe('invalid');
  });

  it('a watermark that contradicts the declared soft binding is a conflict; a matching one is not', () => {
    expect(embeddedVerdict(store('trusted', [], '0123456789abcdef'), 'fedcba9876543210')).toBe('conflict');
    expect(embeddedVerdict(store('trusted', [], '0123456789abcdef'), '0123456789abcdef')).toBe('verified');
    expect(embeddedVerdict(store('trusted', []), 'fedcba9876543210')).toBe('verified');
  });

  it('recovered manifests: valid or trusted is recovered, invalid is tampered, none is no provenance', () => {
    expect(recoveredVerdict(undefined)).toBe('no-provenance');
    expect(recoveredVerdict(store('valid', [s('signingCredential.untrusted')]))).toBe('recovered');
    expect(recoveredVerdict(store('invalid', [s('claimSignature.mismatch')]))).toBe('tampered');
  });

  it('the AI label follows the IPTC digital source type', () => {
    const withSource = (uri: string) => ({
      ...store('valid', []).activeManifest!,
      actions: [{ action: 'c2pa.created', digitalSourceType: uri }],
    });
    const base = 'http://cv.iptc.org/newscodes/digitalsourcetype/';
    expect(isAiGenerated(withSource(`${base}trainedAlgorithmicMedia`))).toBe(true);
    expect(isAiGenerated(withSource(`${base}compositeWithTrainedAlgorithmicMedia`))).toBe(true);
    expect(isAiGenerated(withSource(`${base}digitalCapture`))).toBe(false);
    expect(isAiGenerated(undefined)).toBe(false);
  });
});

describe('page watermark pieces', () => {
  it('the WebCrypto seed equals deriveWatermarkSeed for the public key and others', async () => {
    expect(PUBLIC_WATERMARK_KEY).toBe(DEFAULT_WATERMARK_KEY);
    for (const key of [undefined, 'my secret', 'ключ', 'x']) {
      expect(Buffer.from(await watermarkSeed(key))).toEqual(Buffer.from(deriveWatermarkSeed(key)));
    }
  });

  it('working size and luma follow decodeLumaPlane', () => {
    expect(workingSize(4000, 3000, WORK_AREA)).toEqual({ width: 591, height: 443 });
    expect(workingSize(300, 200, WORK_AREA)).toEqual({ width: 627, height: 418 });
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255]);
    const y = lumaOfRgba(rgba, 4);
    expect(Array.from(y, (v) => Math.round(v * 1000) / 1000)).toEqual([76.245, 149.685, 29.07, 18.15]);
  });
});
