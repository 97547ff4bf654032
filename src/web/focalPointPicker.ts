// The focal point of a staged photo, chosen by clicking its picture: the
// whole image is shown (object-fit: contain), and the click's place in it,
// 0..1 of the width and height, is where every COVER thumbnail will centre.
import { make } from "./dom.js";

export interface FocalPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * Wraps `img` (showing the whole image) in a frame with a marker, placed at
 * `initial`, moved by a click or by the arrow keys; `onPick` hears each new point.
 * @returns the frame, to put where the image was.
 */
export function createFocalPointPicker(img: HTMLImageElement, initial: FocalPoint, onPick: (point: FocalPoint) => void): HTMLElement {
  const frame = make("span", "focus-frame");
  const marker = make("span", "focus-marker");
  marker.setAttribute("aria-hidden", "true");
  let point = initial;
  img.tabIndex = 0;
  img.title = "Click where the photo's thumbnails should centre";
  const place = () => {
    const box = contentBox(img);
    marker.style.left = `${box.left + point.x * box.width}px`;
    marker.style.top = `${box.top + point.y * box.height}px`;
    img.setAttribute(
      "aria-label",
      `Focal point ${Math.round(point.x * 100)} % across, ${Math.round(point.y * 100)} % down; click or use the arrow keys to move it`,
    );
  };
  const pick = (next: FocalPoint) => {
    point = { x: clamp(next.x), y: clamp(next.y) };
    place();
    onPick(point);
  };
  img.addEventListener("load", place);
  img.addEventListener("click", (event) => {
    const box = contentBox(img);
    const rect = img.getBoundingClientRect();
    const x = (event.clientX - rect.left - box.left) / box.width;
    const y = (event.clientY - rect.top - box.top) / box.height;
    if (x >= 0 && x <= 1 && y >= 0 && y <= 1) pick({ x, y });
  });
  img.addEventListener("keydown", (event) => {
    const step = 0.05;
    const moves: Record<string, FocalPoint> = {
      ArrowLeft: { x: point.x - step, y: point.y },
      ArrowRight: { x: point.x + step, y: point.y },
      ArrowUp: { x: point.x, y: point.y - step },
      ArrowDown: { x: point.x, y: point.y + step },
    };
    const next = moves[event.key];
    if (!next) return;
    event.preventDefault();
    pick(next);
  });
  frame.append(img, marker);
  place();
  return frame;
}

/** Where the picture itself lies inside the element (object-fit: contain letterboxes it). */
function contentBox(img: HTMLImageElement): { left: number; top: number; width: number; height: number } {
  const width = img.clientWidth || img.width;
  const height = img.clientHeight || img.height;
  if (!img.naturalWidth || !img.naturalHeight) return { left: 0, top: 0, width, height };
  const scale = Math.min(width / img.naturalWidth, height / img.naturalHeight);
  const shown = { width: img.naturalWidth * scale, height: img.naturalHeight * scale };
  return { left: (width - shown.width) / 2, top: (height - shown.height) / 2, ...shown };
}

function clamp(share: number): number {
  return Math.round(Math.min(1, Math.max(0, share)) * 1000) / 1000;
}
