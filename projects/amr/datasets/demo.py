"""A small, deterministic VOC-layout data set: the embedded default of ``make demo``.

Each image is a noisy textured background with one to three objects. Every class has its own
shape and colour, so a classifier learns it from image-level labels in a few epochs on a CPU,
and its CAMs can be scored against the exact masks. It exercises the real code paths (JPEG
decoding, palette PNG masks, id lists, IRN's ``cls_labels.npy``) without any download.
"""

import os
import os.path as osp

import cv2
import numpy as np
from PIL import Image

from ..utils.io import atomic_write, save_npy
from .voc_image_label import VOC_CLASSES, irn_key

# (VOC class index, BGR colour, shape) of the classes drawn in the demo images.
DEMO_CLASSES = (
    (6, (40, 40, 220), 'rectangle'),  # car
    (7, (40, 200, 240), 'circle'),  # cat
    (11, (220, 120, 40), 'triangle'),  # dog
    (14, (60, 200, 60), 'ellipse'),
)  # person


def voc_palette() -> list[int]:
    """The standard VOC colour map as a flat 768-long PIL palette."""
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette


def _draw(mask: np.ndarray, shape: str, cx: int, cy: int, r: int) -> None:
    if shape == 'rectangle':
        cv2.rectangle(mask, (cx - r, cy - r * 2 // 3), (cx + r, cy + r * 2 // 3), 1, -1)
    elif shape == 'circle':
        cv2.circle(mask, (cx, cy), r, 1, -1)
    elif shape == 'triangle':
        pts = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]], np.int32)
        cv2.fillPoly(mask, [pts], 1)
    else:
        cv2.ellipse(mask, (cx, cy), (r, r // 2), 30, 0, 360, 1, -1)


def make_demo_sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one image (BGR uint8) and its VOC mask (uint8, 255 on object borders)."""
    h, w = int(rng.integers(200, 281)), int(rng.integers(240, 321))
    img = rng.normal(120, 25, (h, w, 3)).clip(0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (5, 5), 0)
    mask = np.zeros((h, w), np.uint8)
    n = int(rng.integers(1, 4))
    for k in rng.choice(len(DEMO_CLASSES), size=n, replace=False):
        cls, colour, shape = DEMO_CLASSES[k]
        r = int(rng.integers(min(h, w) // 8, min(h, w) // 4))
        cx, cy = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        obj = np.zeros((h, w), np.uint8)
        _draw(obj, shape, cx, cy, r)
        tint = np.asarray(colour, np.float32) + rng.normal(0, 12, 3)
        img[obj > 0] = (0.8 * tint + 0.2 * img[obj > 0]).clip(0, 255).astype(np.uint8)
        mask[obj > 0] = cls + 1
    # VOC marks object borders as void (255).
    edges = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    mask[edges] = 255
    return img, mask


def make_demo_voc(out_root: str, num_train: int = 96, num_val: int = 32, seed: int = 0) -> str:
    """Write the demo set in VOC layout under ``out_root/VOC2012`` (idempotent).

    Ids look like VOC ids (``2099_000001``) so that IRN's integer label keys work. ``train``
    is also ``train_aug`` (the demo has no SBD part); masks go to both ``SegmentationClass``
    and ``SegmentationClassAug``.

    Args:
        out_root (str): Output folder (e.g. ``work_dirs/demo/data``).
        num_train (int): Training images. Defaults to 96.
        num_val (int): Validation images. Defaults to 32.
        seed (int): Seed of the generator; the same seed gives the same files.

    Returns:
        str: The ``VOC2012`` folder.
    """
    root = osp.join(out_root, 'VOC2012')
    done = osp.join(root, '.complete')
    stamp = f'{num_train} {num_val} {seed}\n'
    if osp.isfile(done) and open(done).read() == stamp:
        return root
    rng = np.random.default_rng(seed)
    for sub in (
        'JPEGImages',
        'SegmentationClass',
        'SegmentationClassAug',
        'ImageSets/Segmentation',
    ):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    palette = voc_palette()
    ids = [f'2099_{i:06d}' for i in range(1, num_train + num_val + 1)]
    labels = {}
    for img_id in ids:
        img, mask = make_demo_sample(rng)
        ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise RuntimeError(f'JPEG encoding failed for {img_id}')
        atomic_write(
            osp.join(root, 'JPEGImages', img_id + '.jpg'), lambda tmp, b=buf: b.tofile(tmp), '.jpg'
        )
        png = Image.fromarray(mask, mode='P')
        png.putpalette(palette)
        for sub in ('SegmentationClass', 'SegmentationClassAug'):
            atomic_write(
                osp.join(root, sub, img_id + '.png'),
                lambda tmp, p=png: p.save(tmp, format='PNG'),
                '.png',
            )
        onehot = np.zeros(len(VOC_CLASSES), np.float32)
        present = np.unique(mask)
        onehot[present[(present > 0) & (present < 255)] - 1] = 1
        labels[irn_key(img_id)] = onehot
    lists = dict(train=ids[:num_train], train_aug=ids[:num_train], val=ids[num_train:])
    for name, lst in lists.items():
        path = osp.join(root, 'ImageSets', 'Segmentation', name + '.txt')
        atomic_write(path, lambda tmp, ll=lst: open(tmp, 'w').write('\n'.join(ll) + '\n'))
    save_npy(osp.join(root, 'cls_labels.npy'), labels)
    atomic_write(done, lambda tmp: open(tmp, 'w').write(stamp))
    return root
