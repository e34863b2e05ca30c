"""Atomic, idempotent writers for the files that the stages hand to each other.

Every writer writes to a temporary file in the destination folder and renames it into place
(``os.replace`` is atomic on POSIX), so a killed process never leaves a partial file under the
final name; a re-run then sees either a complete file or none.
"""

import json
import os
import os.path as osp
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image


def atomic_write(path: str, write_fn: Callable[[str], None], suffix: str = '') -> None:
    """Call ``write_fn(tmp_path)`` and rename the result to ``path``.

    Args:
        path (str): Final file path; its folder is created if needed.
        write_fn (Callable[[str], None]): Writes the complete file to the given path.
        suffix (str): Suffix of the temporary file (some writers infer the format from it).
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write_fn(tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def save_label_png(path: str, label: np.ndarray) -> None:
    """Atomically save a single-channel uint8 label map (class ids, 255 = ignore) as PNG."""
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got shape {label.shape}')
    if label.dtype != np.uint8:
        if label.min() < 0 or label.max() > 255:
            raise ValueError(f'{path}: label values outside 0..255')
        label = label.astype(np.uint8)
    atomic_write(path, lambda tmp: Image.fromarray(label).save(tmp, format='PNG'), '.png')


def save_npy(path: str, obj: Any) -> None:
    """Atomically ``np.save`` an array or a (pickled) dict."""

    def _write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            np.save(f, obj, allow_pickle=True)

    atomic_write(path, _write, '.npy')


def load_npy_dict(path: str) -> dict:
    """Load a dict saved by :func:`save_npy` (IRN's CAM format).

    Raises:
        FileNotFoundError: naming ``path``.
        ValueError: naming ``path`` when it does not hold a dict.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path}')
    obj = np.load(path, allow_pickle=True)
    if obj.dtype != object or not isinstance(obj.item(), dict):
        raise ValueError(f'{path}: expected a pickled dict')
    return obj.item()


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN floats replaced by None (strict JSON has no NaN)."""
    if isinstance(obj, float) and np.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    return obj


def save_json(path: str, obj: Any) -> None:
    """Atomically write ``obj`` as indented strict JSON (NaN -> null, see :func:`json_safe`)."""
    obj = json_safe(obj)

    def _write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=2, sort_keys=False, allow_nan=False)
            f.write('\n')

    atomic_write(path, _write, '.json')
