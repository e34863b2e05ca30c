"""Images with the inter-pixel-relation (IR) labels of stage 2, IRN's training set."""

import os.path as osp
from typing import Optional

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from .voc_image_label import read_id_list


@DATASETS.register_module()
class IRLabelDataset(BaseDataset):
    """VOC-layout images paired with ``<ir_label_dir>/<id>.png`` (IRN's affinity dataset).

    IR labels are uint8 PNGs: 0 confident background, ``k + 1`` confident foreground class
    ``k``, 255 unsure. Each sample carries ``img_path``, ``img_id`` and ``ir_label_path``.

    Args:
        data_root (str): The ``VOC2012`` folder.
        ann_file (str): Id list relative to ``data_root`` (IRN trains on ``train_aug``).
        ir_label_dir (str): Folder of the IR labels (stage 2 writes ``<work_dir>/ir_labels``).
        data_prefix (dict, optional): ``img_path`` folder relative to ``data_root``.
        img_suffix (str): Image suffix. Defaults to ``'.jpg'``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = {'classes': ('background',) + tuple(str(i) for i in range(20))}

    def __init__(
        self,
        data_root: str,
        ann_file: str,
        ir_label_dir: str,
        data_prefix: Optional[dict] = None,
        img_suffix: str = '.jpg',
        **kwargs,
    ) -> None:
        self.ir_label_dir = ir_label_dir
        self.img_suffix = img_suffix
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix or dict(img_path='JPEGImages'),
            **kwargs,
        )

    def load_data_list(self) -> list[dict]:
        """Read the id list; every image and IR label must exist."""
        ids = read_id_list(self.ann_file)
        data_list, missing = [], []
        for img_id in ids:
            img_path = osp.join(self.data_prefix['img_path'], img_id + self.img_suffix)
            label_path = osp.join(self.ir_label_dir, img_id + '.png')
            if not osp.isfile(label_path):
                missing.append(label_path)
                continue
            data_list.append(dict(img_path=img_path, img_id=img_id, ir_label_path=label_path))
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(ids)} IR labels of {self.ann_file} are missing '
                f'(first: {missing[0]}); run the stage that writes them first (AMR, or a '
                'CAM stage with a PseudoLabelHook)'
            )
        return data_list
