/** DOM helpers of the verify page: element lookup and creation, object URLs that are revoked per file. */

export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; attrs?: Record<string, string> } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.text !== undefined) e.textContent = props.text;
  if (props.className) e.className = props.className;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

let objectUrls: string[] = [];

/** An object URL for `data`, revoked by the next {@link revokeBlobUrls}. */
export function blobUrl(data: Blob): string {
  const u = URL.createObjectURL(data);
  objectUrls.push(u);
  return u;
}

/** Revoke every object URL made since the last call (a new file replaces the last one's pictures). */
export function revokeBlobUrls(): void {
  for (const u of objectUrls) URL.revokeObjectURL(u);
  objectUrls = [];
}
