"""Convolution weights in channels_last memory format, a speed-only switch."""

import torch
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Put the model's 4-D parameters and buffers in ``torch.channels_last`` before it runs.

    PyTorch picks the NHWC convolution kernel when the weight is channels_last, whatever the
    layout of the input, so converting the model is enough (measured on CPU; the CUDA path
    was not measured here). Outputs equal the contiguous model's up to float rounding (the
    summation order differs).
    Measured with ``tools/benchmark.py --channels-last`` (docs/benchmarks.md): 1.25-1.37x
    training and 1.40-1.50x inference for the Lite0 DeepLabV2 on the 2-core CPU.

    The conversion happens at the start of training, validation and testing, after the
    runner has initialised the weights and loaded or resumed a checkpoint; it keeps the
    same ``Parameter`` objects, so the optimiser and its state stay valid, and it is a
    no-op once done. Under DDP the model is already wrapped by then; that combination was
    not tested here (PyTorch's guidance is to convert before wrapping).

    Args:
        enabled (bool): Set False to keep the contiguous layout (a config switch that can
            be flipped with ``--cfg-options``). Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._done = False

    def _convert(self, runner) -> None:
        if not self.enabled or self._done:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
        self._done = True
        MMLogger.get_current_instance().info('ChannelsLastHook: model in channels_last')

    def before_train(self, runner) -> None:
        self._convert(runner)

    def before_val(self, runner) -> None:
        self._convert(runner)

    def before_test(self, runner) -> None:
        self._convert(runner)
