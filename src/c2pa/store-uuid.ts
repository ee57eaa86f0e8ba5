/**
 * The JUMBF type UUID of a C2PA manifest store superbox (C2PA 2.x §11.1.4.2: 63327061-0011-0010-8000-00AA00389B71).
 * Pure data, so the verify page's browser bundle and the Node code share it.
 */
export const C2PA_STORE_UUID: Uint8Array = Uint8Array.from([
  0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
]);
