// Photos for an incident report: each chosen picture (the PC's camera, or a
// phone photo copied over) is redrawn as a JPEG small enough for the agent
// and head office to take (at most MAX_BYTES), whatever its format or size.
// The plan of sizes and qualities to try is pure (fitPlan, scaled,
// base64Bytes), so node --test checks it; fitPhoto runs it on a canvas.

// Limits the agent and head office check again (syncproto/lifecycle's
// MaxIncidentPhotos, MaxIncidentPhotoBytes).
export const MAX_PHOTOS = 4;
export const MAX_BYTES = 300 * 1024;

// fitPlan lists the (longest side, quality) pairs to try, largest first:
// quality falls before the size does, so a photo stays sharp where it can.
export function fitPlan() {
  const out = [];
  for (const side of [1600, 1280, 1024, 800, 640]) {
    for (const q of [0.85, 0.7, 0.55]) out.push({ side, q });
  }
  return out;
}

// scaled is w×h shrunk so its longest side is at most side (never grown).
export function scaled(w, h, side) {
  const k = Math.min(1, side / Math.max(w, h));
  return { w: Math.max(1, Math.round(w * k)), h: Math.max(1, Math.round(h * k)) };
}

// base64Bytes is how many bytes a base64 body decodes to.
export function base64Bytes(b64) {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

// fitPhoto draws the image at dataURL on a canvas and answers the first
// JPEG of the plan within MAX_BYTES, as { b64, bytes, w, h }; null when
// even the smallest is too big.
export async function fitPhoto(dataURL) {
  const img = new Image();
  img.src = dataURL;
  await img.decode();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  for (const { side, q } of fitPlan()) {
    const { w, h } = scaled(img.naturalWidth, img.naturalHeight, side);
    canvas.width = w;
    canvas.height = h;
    ctx.fillStyle = '#fff'; // a transparent PNG becomes white, not black
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(img, 0, 0, w, h);
    const url = canvas.toDataURL('image/jpeg', q);
    const b64 = url.slice(url.indexOf(',') + 1);
    const bytes = base64Bytes(b64);
    if (bytes <= MAX_BYTES) return { b64, bytes, w, h, url };
  }
  return null;
}
