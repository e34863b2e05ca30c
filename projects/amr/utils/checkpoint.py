"""Make mmengine 0.10.x checkpoints loadable under torch>=2.6.

torch 2.6 switched ``torch.load`` to ``weights_only=True`` by default. mmengine 0.10.7 (the newest
release) calls ``torch.load`` without the argument, and its checkpoints pickle a
``HistoryBuffer`` and numpy objects, so every resume and ``load_from`` fails with
``UnpicklingError: Weights only load failed``. torch reads the environment variable
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` on every call, so setting it once, when this package is
imported, fixes the Runner, the tools and DDP workers (which inherit the environment) alike.
Only load checkpoints you trust, exactly as with torch<2.6.
"""

import os

ENV_KEY = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


def allow_full_checkpoint_load() -> None:
    """Let ``torch.load`` unpickle mmengine checkpoints (idempotent).

    A value the user already set in the environment is respected.
    """
    os.environ.setdefault(ENV_KEY, '1')
