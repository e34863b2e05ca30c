"""Hooks (registered in mmengine's root ``HOOKS``, found from every scope)."""

from .channels_last_hook import ChannelsLastHook
from .pseudo_label_hook import PseudoLabelHook, build_cam_dataset, eval_sources

__all__ = ['ChannelsLastHook', 'PseudoLabelHook', 'build_cam_dataset', 'eval_sources']
from .random_walk_hook import RandomWalkHook  # noqa: E402,F401
