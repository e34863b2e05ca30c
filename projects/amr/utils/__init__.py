from .checkpoint import allow_full_checkpoint_load
from .launch import enable_amp, resolve_work_dir, set_local_rank_env, setup_distributed

__all__ = ['allow_full_checkpoint_load', 'enable_amp', 'resolve_work_dir',
           'set_local_rank_env', 'setup_distributed']
