/** The page's pure pieces, in Node: verdict mapping, the watermark key seed, the luma steps. */
import { describe, expect, it } from 'vitest';
import type { ValidationStatus } from '../../src/verify/types.js';
import { DEFAULT_WATERMARK_KEY, deriveWatermarkSeed } from '../../src/watermark/image.js';
import type { EngineStore } from '../../src/c2pa/read.js';
import {
  engineState as nodeEngineState,
  stateSettingAside as nodeSettingAside,
} from '../../src/verify/verify.js';
import { PUBLIC_WATERMARK_KEY, watermarkSeed } from '../../src/page/client/seed.js';
import { lumaOfRgba, workingSize } from '../../src/page/client/luma.js';
import { WORK_AREA } from '../../src/watermark/core/index.js';
import {
  embeddedVerdict,
  engineState,
  HARD_BINDING_MISMATCH,
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
  it('engineState and stateSettingAside agree with verify.ts on every mix of statuses', () => {
    const codes = [
      s('signingCredential.trusted', 'success'),
      s('claimSignature.validated', 'success'),
      s('signingCredential.untrusted'),
      s('assertion.dataHash.mismatch'),
      s('signingCredential.invalid'),
      s('timeStamp.untrusted', 'informational'),
    ];
    const setAside = (x: ValidationStatus) => x.kind === 'failure' && HARD_BINDING_MISMATCH.has(x.code);
    let compared = 0;
    for (const validation_state of ['Invalid', 'Valid', 'Trusted', undefined] as const) {
      for (const delta of [
        [],
        [{ code: 'ingredient.manifest.mismatch' }],
        [{ code: 'signingCredential.untrusted' }],
      ]) {
        for (let mask = 0; mask < 1 << codes.length; mask++) {
          const subset = codes.filter((_, i) => mask & (1 << i));
          const st = {
            manifests: {},
            ...(validation_state ? { validation_state } : {}),
            validation_results: {
              ingredientDeltas: [
                {
                  ingredientAssertionURI: 'self#jumbf=/c2pa/x/c2pa.assertions/c2pa.ingredient.v3',
                  validationDeltas: { failure: delta },
                },
              ],
            },
          } as unknown as EngineStore;
          expect(engineState(st)).toBe(nodeEngineState(st));
          expect(stateSettingAside(st, subset, setAside)).toBe(nodeSettingAside(st, subset, setAside));
          compared++;
        }
      }
    }
    expect(compared).toBe(4 * 3 * 64);
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
