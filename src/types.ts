/** Media given to any public function: the bytes themselves, or a path to read. */
export type MediaInput = Uint8Array | string;

/** Broad kind of a media format. */
export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'manifest';

/** A format provmark recognises from its bytes (never from the file name). */
export type MediaFormat =
  | 'jpeg'
  | 'png'
  | 'webp'
  | 'avif'
  | 'heic'
  | 'heif'
  | 'gif'
  | 'tiff'
  | 'svg'
  | 'mp4'
  | 'mov'
  | 'm4a'
  | 'wav'
  | 'mp3'
  | 'avi'
  | 'jxl'
  | 'pdf'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'odt'
  | 'ods'
  | 'odp'
  | 'epub'
  | 'c2pa';
