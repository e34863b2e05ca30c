"""Write IRN's random-walk pseudo masks after IRN training, and score them."""

import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ...irn import RandomWalkSettings, make_sem_seg_masks
from .pseudo_label_hook import build_cam_dataset, eval_sources


@HOOKS.register_module()
class RandomWalkHook(Hook):
    """After IRN training, write the random-walk pseudo masks and score them.

    Runs :func:`projects.amr.irn.make_sem_seg_masks` with the trained model over the train
    dataloader's dataset (``train_aug``) unless ``dataset`` is given:
    ``<work_dir>/<out_dir>/<id>.png``, then the mask mIoU on the VOC ``train`` ids ->
    ``<work_dir>/<metrics_file>``. Sharded over ranks; existing masks are skipped, so
    ``--resume`` of a finished run only fills in what is missing. ``tools/make_sem_seg.py``
    does the same from a checkpoint.

    Args:
        cam_dir (str): Folder of the stage-2 CAMs (``<amr work_dir>/cams``).
        dataset (dict, optional): Dataset config; defaults to the train dataloader's.
        out_dir (str): Mask folder, relative to the work_dir. Defaults to ``'masks'``.
        metrics_file (str): Metrics JSON, relative to the work_dir. Defaults to
            ``'mask_metrics.json'``.
        eval_ann_file (str, optional): Evaluation id list relative to the dataset's
            ``data_root``. Defaults to ``'ImageSets/Segmentation/train.txt'``.
        eval_seg_dir (str, optional): Ground truth relative to ``data_root``. Defaults to
            ``'SegmentationClass'``.
        log_interval (int): Progress log interval in images. Defaults to 20.
        **settings: The fields of :class:`projects.amr.irn.RandomWalkSettings` (``beta``,
            ``exp_times``, ``radius``, ``cam_power``, ``bg_threshold``, ``method``),
            validated here.
    """

    priority = 'LOW'

    def __init__(
        self,
        cam_dir: str,
        dataset: Optional[dict] = None,
        out_dir: str = 'masks',
        metrics_file: str = 'mask_metrics.json',
        eval_ann_file: Optional[str] = 'ImageSets/Segmentation/train.txt',
        eval_seg_dir: Optional[str] = 'SegmentationClass',
        log_interval: int = 20,
        **settings,
    ) -> None:
        self.cam_dir = cam_dir
        self.dataset = dataset
        self.out_dir = out_dir
        self.metrics_file = metrics_file
        self.eval_ann_file = eval_ann_file
        self.eval_seg_dir = eval_seg_dir
        self.log_interval = log_interval
        self.settings = RandomWalkSettings(**settings)
        self.last_result: Optional[dict] = None

    def after_train(self, runner) -> None:
        """Generate and evaluate the masks with the trained model."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        dataset = build_cam_dataset(runner.cfg, self.dataset)
        eval_ids, seg_dir = eval_sources(dataset, self.eval_ann_file, self.eval_seg_dir)
        if eval_ids is None and self.eval_ann_file:
            runner.logger.warning(
                'RandomWalkHook: evaluation list or masks not found '
                f'({self.eval_ann_file}, {self.eval_seg_dir}); not evaluating'
            )
        out_dir = osp.join(runner.work_dir, self.out_dir)
        runner.logger.info(f'RandomWalkHook: masks for {len(dataset)} images under {out_dir}')
        self.last_result = make_sem_seg_masks(
            model,
            dataset,
            self.cam_dir,
            out_dir,
            self.settings,
            eval_ids=eval_ids,
            eval_seg_dir=seg_dir,
            metrics_file=osp.join(runner.work_dir, self.metrics_file),
            log_interval=self.log_interval,
            logger=runner.logger,
        )
