"""EncoderDecoder with optional dense-CRF post-processing at test time."""

from typing import Optional

import mmcv
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList

from .dense_crf import dense_crf


@MODELS.register_module()
class CRFEncoderDecoder(EncoderDecoder):
    """:class:`mmseg.models.EncoderDecoder` whose predictions can be refined by a dense CRF.

    DeepLabV2 results in WSSS papers are usually reported after a fully connected CRF. The CRF
    is configured by ``test_cfg.crf``, a dict of :func:`dense_crf` arguments plus ``enabled``
    (default True when the dict is given); without ``test_cfg.crf`` or with ``enabled=False``
    this class is exactly :class:`EncoderDecoder`. The CRF runs on the softmax of the logits at
    the original image size, with the image read again from ``img_path``; ``seg_logits``
    becomes the log of the CRF marginals, so :class:`SegTTAModel` (``--tta``) averages the
    refined probabilities of the augmented views. Training is unaffected.

    The DeepLabV2 configs carry ``crf=dict(enabled=False, iters=10, ...)``; switch it on with
    ``tools/test.py CONFIG CKPT --cfg-options model.test_cfg.crf.enabled=True``.

    Args:
        **kwargs: :class:`EncoderDecoder` arguments.
    """

    def crf_cfg(self) -> Optional[dict]:
        """The :func:`dense_crf` arguments from ``test_cfg.crf``, or None when it is off."""
        if not self.test_cfg:
            return None
        crf = self.test_cfg.get('crf', None)
        if crf is None:
            return None
        crf = dict(crf)
        return crf if crf.pop('enabled', True) else None

    def postprocess_result(
        self, seg_logits: torch.Tensor, data_samples: OptSampleList = None
    ) -> SampleList:
        """Resize the logits to the original size (see :class:`EncoderDecoder`), then CRF.

        Args:
            seg_logits (Tensor): Logits of the batch, shape (N, C, H, W).
            data_samples (list[:obj:`SegDataSample`], optional): Samples with ``img_path``
                and ``ori_shape`` in their meta information.

        Returns:
            list[:obj:`SegDataSample`]: Samples with ``seg_logits`` and ``pred_sem_seg``.
        """
        crf = self.crf_cfg()
        if crf is not None and data_samples is None:
            raise ValueError('test_cfg.crf needs data_samples with img_path to read the image')
        data_samples = super().postprocess_result(seg_logits, data_samples)
        if crf is None:
            return data_samples
        for sample in data_samples:
            logits = sample.seg_logits.data
            image = mmcv.imread(sample.img_path, channel_order='rgb')
            probs = logits.float().softmax(dim=0).cpu().numpy()
            refined = torch.from_numpy(dense_crf(image, probs, **crf)).to(logits.device)
            sample.set_data(
                {
                    'seg_logits': PixelData(data=refined.clamp_min(1e-8).log()),
                    'pred_sem_seg': PixelData(data=refined.argmax(dim=0, keepdim=True)),
                }
            )
        return data_samples
