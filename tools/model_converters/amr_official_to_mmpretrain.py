"""Convert a checkpoint of the authors' released AMR network into an AMRClassifier checkpoint.

Usage::

    python tools/model_converters/amr_official_to_mmpretrain.py SRC DST \
        [--config configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py]

``DST`` holds ``{'state_dict': ..., 'meta': ...}``, loadable with ``load_from=DST`` or
``tools/test.py``. The target layout comes from building the model of ``--config`` (no
weights are downloaded). Unused source keys are printed.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'configs',
    'amr',
    'amr_r50_1xb16-8e_voc12aug-512x512.py',
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='released AMR checkpoint (net/resnet50_amr.py Net)')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG, help='AMR config whose model defines the target layout'
    )
    return parser.parse_args(argv)


def convert_file(src: str, dst: str, config: str = DEFAULT_CONFIG) -> dict:
    """Convert ``src`` into ``dst``; return the conversion report."""
    from mmpretrain.registry import MODELS

    from projects.amr.models.classifiers import convert_official_amr

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    template = MODELS.build(cfg.model).state_dict()
    ckpt = torch.load(src, map_location='cpu', weights_only=True)
    if isinstance(ckpt, dict) and 'state_dict' in ckpt:
        ckpt = ckpt['state_dict']
    state, report = convert_official_amr(ckpt, template)
    torch.save(
        dict(state_dict=state, meta=dict(converted_from=osp.abspath(src), config=config)), dst
    )
    return report


def main(argv=None) -> None:
    args = parse_args(argv)
    report = convert_file(args.src, args.dst, args.config)
    print(f'verified {len(report["aliases"])} alias keys')
    if report['unused']:
        print(f'{len(report["unused"])} unused source keys:')
        for key in report['unused']:
            print('  ' + key)
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
