/**
 * Audio watermark core: pure signal processing on float PCM, no IO. README.md ("Audio") gives
 * the reasoning and the measurements.
 *
 * Domain. Everything is defined on the program resampled to 16 kHz (AUDIO_WORK_RATE), analysed by
 * a 512-point STFT (32 ms, hop 16 ms, √Hann analysis and synthesis windows, which overlap-add to
 * one). The mark lives in 50 bands of 4 bins (125 Hz each) between 0.75 and 7 kHz: above the
 * bass and the first formant that hold most of the program's energy, below the top octave that
 * 128 kb/s codecs thin out, and inside what a 16 kHz detector sees.
 *
 * Cells. A cell is one band × 4 frames (125 Hz × 64 ms). The mark multiplies a cell's spectrum by
 * (1 + m), m small and signed: it follows the program's own spectro-temporal envelope (silence
 * stays silent) and moves the cell's log energy by 2·log(1 + m) whatever the level.
 *
 * Block. 32 cell columns (128 frames, 2.048 s) × 50 bands = 1600 cells, repeated over the whole
 * program: 1548 cells carry the 258 coded bits (3 pairs each; a pair is two columns of one band
 * with opposite keyed chips, so fixed per-band gains cancel) and 52 a keyed spread-spectrum pilot
 * (diagnostics). A bit's pairs lie inside one of the block's four 8-column spans (0.512 s), so a
 * partial block at either end of an excerpt still holds complete copies of the bits of the spans
 * it covers: any 2.6 s holds every bit once, a 5 s excerpt about 2.2 times on average (with pairs
 * scattered over the whole block, more than half of all 5 s excerpts held one complete copy).
 *
 * Data: dither modulation (quantisation index modulation, Chen & Wornell, IEEE Trans. IT 2001, in
 * its spread-transform form). A bit's statistic S is the chip-weighted sum of its 6 cells' log
 * energies, each taken relative to its column's mean (so gain changes cancel). The embedder moves S
 * onto the lattice DELTA·ℤ + dither (bit 0) or DELTA·ℤ + dither + DELTA/2 (bit 1), with a closed
 * loop: cheap model passes (the cell energies scaled by (1 + m)²), then real passes that
 * synthesise, re-analyse exactly as the detector will, and correct. The program itself does not
 * interfere with the decision (it would in plain spread spectrum, where a noise-like program's
 * cell energies scatter ten times more than a −30 dB mark moves them).
 *
 * Synchronisation: at the right alignment every complete copy of a group sits on its lattice, so
 * Σ cos(4π(S − dither)/DELTA) is large whatever the bits; elsewhere it averages zero. The
 * detector scans 8 sub-hop phases × 4 cell phases × 32 column shifts, so any excerpt holding one
 * block decodes, and every further block adds its votes.
 *
 * Streaming. The embedder ({@link AudioMarkEmbedder}) places the mark two blocks (4.1 s) at a
 * time as samples arrive: a chunk's closed loop sees the previous chunk's mark, its synthesis
 * frames spill half a frame into the next chunk and are summed there, and the resamplers compute
 * exactly the output ranges whose inputs have arrived, so the result is the same however the
 * input is split (tested), memory stays bounded, and the file adapter runs ffmpeg's decoder, this
 * code and ffmpeg's encoder at the same time.
 *
 * Versions. audio.2 (what the embedder writes by default) keeps all of the above and adds a
 * telephone band: bands 0–20 (0.75–3.375 kHz) and bands 21–49 form two regions; a bit's cells lie
 * in one region, a cell's log energy is taken relative to its own region's mean (and floor and
 * eligibility), and the layout cycles over three blocks so that every coded bit has a complete copy
 * in the telephone band at least once per 6.1 s. Band-passing to 300–3400 Hz then leaves the
 * telephone band's statistics as they were, where audio.1's whole-column mean moved with whatever
 * the channel removed above 3.4 kHz and scrambled every lattice. Half of each column's power budget
 * is water-filled into the telephone band first. The detector scans 96 column shifts (the cycle)
 * instead of 32, and on a telephone copy (no power at 4.5–7 kHz) counts the telephone band's votes
 * only. audio.1 (one region, 32-column layout) stays readable: the adapter tries audio.2,
 * then audio.1, sharing the band powers (see AudioScheme in audio-params.ts).
 *
 * Files: audio-params.ts (grid, budget, thresholds), audio-stft.ts (transform, band powers,
 * synthesis), audio-layout.ts (keyed layout, cell features), audio-placement.ts (amplitudes, closed
 * loop, SNR limit), audio-embed.ts (streaming embedder), audio-detect.ts (detector),
 * audio-resample.ts (resampler). This module is their public face.
 */
export {
  AUDIO_BLOCK_SAMPLES,
  AUDIO_MAX_BIT_ERRORS,
  AUDIO_MIN_DETECT_SAMPLES,
  AUDIO_SYNC_Z_MIN,
  AUDIO_WORK_RATE,
  AUDIO_SCHEME_V1,
  AUDIO_SCHEME_V2,
  type AudioScheme,
} from './audio-params.js';
export {
  AudioMarkEmbedder,
  embedAudioMark,
  type AudioEmbedParams,
  type AudioEmbedResult,
} from './audio-embed.js';
export { detectAudioMark, toWorkingMono, type AudioCoreDetection, type PowerCache } from './audio-detect.js';
