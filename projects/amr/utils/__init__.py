from .checkpoint import allow_full_checkpoint_load
from .launch import enable_amp, resolve_work_dir, set_local_rank_env, setup_distributed

__all__ = [
    'allow_full_checkpoint_load',
    'enable_amp',
    'resolve_work_dir',
    'set_local_rank_env',
    'setup_distributed',
]
from .io import (  # noqa: E402
    atomic_write,
    json_safe,
    load_npy_dict,
    save_json,
    save_label_png,
    save_npy,
)

__all__ += ['atomic_write', 'json_safe', 'load_npy_dict', 'save_json', 'save_label_png', 'save_npy']
