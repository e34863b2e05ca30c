"""Write the deterministic demo data set (VOC layout) used by ``make demo``.

Example:
    python tools/dataset_converters/make_demo_voc.py work_dirs/demo/data
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from projects.amr.datasets.demo import make_demo_voc  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_root', help='output folder; VOC2012/ is created inside')
    parser.add_argument('--num-train', type=int, default=96)
    parser.add_argument('--num-val', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    print(make_demo_voc(args.out_root, args.num_train, args.num_val, args.seed))


if __name__ == '__main__':
    main()
