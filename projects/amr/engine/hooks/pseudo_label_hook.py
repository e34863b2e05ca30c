"""Write CAMs, seed masks and IR labels after training, and score the seeds."""

import copy
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ...cam.generate import generate_pseudo_labels
from ...cam.settings import PseudoLabelSettings


def build_cam_dataset(cfg, dataset: Optional[dict] = None):
    """The dataset CAMs are made for: by default the train dataloader's (``train_aug``).

    Its pipeline is replaced by a plain ``LoadImageFromFile``: CAM inference does its own
    rescaling, flipping and normalisation.

    Args:
        cfg (Config): The run's config.
        dataset (dict, optional): A dataset config replacing the train dataloader's.

    Returns:
        The built dataset (mmpretrain's ``DATASETS``, where the project's datasets live).
    """
    from mmpretrain.registry import DATASETS

    ds_cfg = copy.deepcopy(dataset if dataset is not None else cfg.train_dataloader.dataset)
    ds_cfg['pipeline'] = [dict(type='LoadImageFromFile')]
    return DATASETS.build(ds_cfg)


def eval_sources(
    dataset, eval_ann_file: Optional[str], eval_seg_dir: Optional[str]
) -> tuple[Optional[list], Optional[str]]:
    """Evaluation ids and mask folder, relative paths resolved against ``dataset.data_root``.

    Returns ``(None, None)`` when either is missing on disk.
    """
    from ...datasets.voc_image_label import read_id_list

    root = getattr(dataset, 'data_root', None) or ''
    if not eval_ann_file or not eval_seg_dir:
        return None, None
    ann = eval_ann_file if osp.isabs(eval_ann_file) else osp.join(root, eval_ann_file)
    seg = eval_seg_dir if osp.isabs(eval_seg_dir) else osp.join(root, eval_seg_dir)
    if not osp.isfile(ann) or not osp.isdir(seg):
        return None, None
    return read_id_list(ann), seg


@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """After training, make the pseudo labels of the next stage and evaluate the seeds.

    Runs :func:`projects.amr.cam.generate.generate_pseudo_labels` with the trained model over
    the train dataloader's dataset (``train_aug``): ``<out_dir>/cams/<id>.npy``,
    ``seeds/<id>.png``, ``ir_labels/<id>.png`` (and ``seeds_crf/`` when asked), then the
    seed mIoU on the VOC ``train`` ids against ``SegmentationClass`` with a background sweep
    (``cam_metrics.json`` and a log table; the sweep's best is labelled as selected with the
    ground truth), and a few CAM overlays (``cam_vis/`` and the visualizer's backends).
    Every rank writes its own shard; complete outputs are skipped, so ``--resume`` of a
    finished run regenerates only what is missing. ``tools/make_cam.py`` does the same from a
    checkpoint.

    The CAM and label settings are the flat keys of
    :class:`projects.amr.cam.settings.PseudoLabelSettings` (``scales``, ``climbing``,
    ``map_extractor``, ``resize``, ``branch_weights``, ``output_stride``, ``fp16``,
    ``images_per_batch``, ``bg_threshold``, ``thresholds``, ``seed_crf``, ``ir_label``,
    ``num_vis``, ``log_interval``; defaults and meanings there), validated when the hook is
    built: an unknown key or a bad value is a ValueError naming it.

    Args:
        dataset (dict, optional): Dataset config; defaults to the train dataloader's.
        out_dir (str, optional): Output root; relative paths are under the work_dir;
            defaults to the work_dir.
        eval_ann_file (str): Evaluation id list, relative to the dataset's ``data_root``.
            Defaults to ``'ImageSets/Segmentation/train.txt'``.
        eval_seg_dir (str): Ground-truth masks, relative to ``data_root``.
            Defaults to ``'SegmentationClass'``.
        **settings: The flat settings (see above).
    """

    priority = 'LOW'

    def __init__(
        self,
        dataset: Optional[dict] = None,
        out_dir: Optional[str] = None,
        eval_ann_file: Optional[str] = 'ImageSets/Segmentation/train.txt',
        eval_seg_dir: Optional[str] = 'SegmentationClass',
        **settings,
    ) -> None:
        self.dataset = dataset
        self.out_dir = out_dir
        self.eval_ann_file = eval_ann_file
        self.eval_seg_dir = eval_seg_dir
        self.settings = PseudoLabelSettings.from_dict(settings)
        self.last_result: Optional[dict] = None

    def after_train(self, runner) -> None:
        """Generate, evaluate and visualise with the trained model."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        dataset = build_cam_dataset(runner.cfg, self.dataset)
        out_dir = (
            runner.work_dir if self.out_dir is None else osp.join(runner.work_dir, self.out_dir)
        )
        eval_ids, seg_dir = eval_sources(dataset, self.eval_ann_file, self.eval_seg_dir)
        if eval_ids is None and self.eval_ann_file:
            runner.logger.warning(
                'PseudoLabelHook: evaluation list or masks not found '
                f'({self.eval_ann_file}, {self.eval_seg_dir}); not evaluating'
            )
        runner.logger.info(
            f'PseudoLabelHook: pseudo labels for {len(dataset)} images under {out_dir}'
        )
        self.last_result = generate_pseudo_labels(
            model,
            dataset,
            out_dir,
            self.settings,
            eval_ids=eval_ids,
            eval_seg_dir=seg_dir,
            visualizer=runner.visualizer,
            logger=runner.logger,
        )
        if self.last_result['metrics']:
            runner.logger.info(
                'PseudoLabelHook: '
                + ', '.join(f'{k}: {v}' for k, v in self.last_result['metrics'].items())
            )
