"""AMR for image-level weakly supervised semantic segmentation on OpenMMLab.

Importing this package (configs do it through ``custom_imports``) registers every
component in the OpenMMLab registries:

* classifiers, heads, backbones, losses, datasets and transforms in **mmpretrain**'s
  registries (stages 1-3 run under ``default_scope='mmpretrain'``);
* the DeepLabV2 decode head in **mmseg**'s ``MODELS`` (stage 4 runs under
  ``default_scope='mmseg'``);
* scope-neutral pieces (the AMM plug-in, hooks, metrics) in mmengine's root registries,
  which every scope searches.
"""

from .utils.checkpoint import allow_full_checkpoint_load

allow_full_checkpoint_load()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
