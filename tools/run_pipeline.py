r"""Run a pipeline config (spotlight -> [AMR ->] IRN -> DeepLabV2) and record its results.

Every row the README reports is one such command; ``--name`` writes ``results/<name>.json``
with the exact command, the stage configs and overrides, seed, thread count, git commit,
metrics and wall times.

Examples:
    # the CPU default, the released recipe on CPU, plain CAM -> IRN (no AMR stage)
    OMP_NUM_THREADS=1 python tools/run_pipeline.py \
        configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py \
        --work-dir work_dirs/pipeline_default --name pipeline_amr_lite0_voc12mini
    python tools/run_pipeline.py configs/pipelines/amr_lite0_voc12mini.py
    python tools/run_pipeline.py \
        configs/pipelines/cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py
    # the released recipe on 8 GPUs
    python tools/run_pipeline.py configs/pipelines/amr_r50_voc12aug.py --launcher pytorch --gpus 8
    # one stage again on another run's outputs, with a changed schedule
    python tools/run_pipeline.py \
        configs/pipelines/amr_lite0_trainall-noco-ls256-448-spotinit_voc12mini.py \
        --work-dir work_dirs/exp/irn_12e_on_default --stages irn \
        --reuse amr=work_dirs/pipeline_default/amr \
        --cfg-options irn.train_cfg.max_epochs=12 \
        --threads 1 --name irn_12e_on_default
"""

import argparse
import json
import os
import os.path as osp
import shlex
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from projects.amr.pipeline import result_record, run_pipeline  # noqa: E402
from projects.amr.utils.io import save_json  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='pipeline config (configs/pipelines/*.py)')
    parser.add_argument('--work-dir', help='root of the stage work_dirs')
    parser.add_argument(
        '--stages',
        '--only',
        nargs='+',
        help='run only these stages (the others are taken as they are when complete)',
    )
    parser.add_argument(
        '--reuse',
        nargs='+',
        metavar='STAGE=DIR',
        help='take a stage from an existing work_dir instead of running it',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        metavar='STAGE.KEY=VALUE',
        help='override a key of one stage config (passed to its tools/train.py --cfg-options)',
    )
    parser.add_argument('--seed', type=int, help='randomness.seed of every stage that runs')
    parser.add_argument(
        '--threads', type=int, help='torch threads of every stage (OMP/MKL_NUM_THREADS)'
    )
    parser.add_argument('--name', help='write results/<name>.json (see --results-dir)')
    parser.add_argument('--results-dir', default=osp.join(REPO, 'results'))
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--gpus', type=int, default=1, help='processes per stage (pytorch)')
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    if args.name is not None and (not args.name or '/' in args.name):
        parser.error(f'--name must be a file name without "/", got {args.name!r}')
    return args


def command_line(argv: list[str]) -> str:
    """The invocation as a shell line, with the thread variable it ran under."""
    env = os.environ.get('OMP_NUM_THREADS')
    prefix = f'OMP_NUM_THREADS={env} ' if env else ''
    return prefix + shlex.join(['python', 'tools/run_pipeline.py', *argv])


def main(argv=None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    command = command_line(argv)
    if args.threads is not None:
        os.environ['OMP_NUM_THREADS'] = os.environ['MKL_NUM_THREADS'] = str(args.threads)
    report = run_pipeline(
        args.config,
        args.work_dir,
        args.launcher,
        args.gpus,
        only=args.stages,
        overrides=args.cfg_options,
        reuse=args.reuse,
        seed=args.seed,
    )
    print(json.dumps(report['metrics'], indent=2))
    print(f'report: {osp.join(report["work_root"], "report.md")}')
    if args.name:
        path = osp.join(args.results_dir, args.name + '.json')
        save_json(path, result_record(report, args.name, command))
        print(f'result: {path}')
    return report


if __name__ == '__main__':
    main()
