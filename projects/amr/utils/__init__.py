from .checkpoint import allow_full_checkpoint_load
from .launch import enable_amp, resolve_work_dir, set_local_rank_env, setup_distributed

__all__ = [
    'allow_full_checkpoint_load',
    'enable_amp',
    'resolve_work_dir',
    'set_local_rank_env',
    'setup_distributed',
]
from .io import atomic_write, load_npy_dict, save_json, save_label_png, save_npy  # noqa: E402

__all__ += ['atomic_write', 'load_npy_dict', 'save_json', 'save_label_png', 'save_npy']
