"""Chain the four stages (spotlight CAM -> AMR -> IRN -> DeepLabV2) under one work_dir root.

A pipeline config is a plain config file with a list ``stages``; each stage names a training
config and the ``cfg_options`` that wire the previous stages' outputs into it. Inside option
values, ``{root}`` is the pipeline's work_dir root (absolute), ``{<stage name>}`` that
stage's work_dir and ``{<stage name>_checkpoint}`` its last checkpoint (once the stage is
complete). Every stage runs ``tools/train.py`` (or ``tools/dist_train.sh`` for several
processes) in a subprocess, so each stage gets a clean registry scope, and its exact command
is recorded. A stage whose ``.stage_complete.json`` exists is skipped; an interrupted stage is
re-run with ``--resume`` (mmengine resumes training from the last checkpoint and the
pseudo-label hooks skip the files they already wrote).
"""

import glob
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from typing import Optional

from mmengine.config import Config

from .utils.io import save_json

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DONE = '.stage_complete.json'

# References printed beside our measurements (never mixed with them).
PAPER = dict(
    method='AMR (Qin et al., AAAI 2022), DeepLabV2 R101',
    val=68.8,
    test=69.1,
    source='as listed in MARS (ICCV 2023) Table 3',
)
MODEL_ZOO = (  # mmseg 1.x model zoo, VOC12+aug, fully supervised, 512x512 (mIoU / ms+flip)
    ('deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512', 76.17, 77.42),
    ('deeplabv3_r101-d8_4xb4-20k_voc12aug-512x512', 78.70, 79.95),
    ('deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512', 75.93, 77.50),
    ('deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512', 77.22, 78.59),
)


def _fill(value, names: dict):
    if isinstance(value, str):
        return value.format(**names)
    return value


def per_gpu_batch_size(config: str, gpus: int) -> int:
    """Batch size per process that keeps a ``1xbB`` stage config's total batch on ``gpus``.

    The stage configs are single-process recipes (AMR: 16, IRN: 16, DeepLabV2: 10 images per
    iteration). Under ``gpus`` processes each gets ``round(B / gpus)`` (at least 1), so the
    total stays at (or, when ``gpus`` does not divide ``B``, next to) the recipe's, with the
    recipe's learning rate. The command in the report shows the value used.
    """
    from mmengine.config import Config

    total = int(Config.fromfile(config).train_dataloader.batch_size)
    return max(1, round(total / gpus))


def stage_command(
    stage: dict, work_dir: str, names: dict, launcher: str, gpus: int, resume: bool
) -> list[str]:
    """The command line that trains one stage."""
    cfg_options = dict(stage.get('cfg_options', {}))
    config = osp.join(REPO, stage['config'])
    if launcher == 'pytorch' and gpus > 1 and 'train_dataloader.batch_size' not in cfg_options:
        cfg_options['train_dataloader.batch_size'] = per_gpu_batch_size(config, gpus)
    opts = [f'{k}={_fill(v, names)}' for k, v in cfg_options.items()]
    if launcher == 'pytorch' and gpus > 1:
        cmd = ['bash', osp.join(REPO, 'tools/dist_train.sh'), config, str(gpus)]
    else:
        cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), config]
    cmd += ['--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    if opts:
        cmd += ['--cfg-options', *opts]
    return cmd


def last_scalars(work_dir: str, prefix: str = '') -> dict:
    """The last logged value of every scalar whose key starts with ``prefix``."""
    out = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                out.update({k: v for k, v in rec.items() if k.startswith(prefix)})
    return out


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named in mmengine's ``last_checkpoint`` file ('' when there is none)."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return ''
    with open(path) as f:
        return f.read().strip()


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def run_pipeline(
    pipeline_config: str,
    work_root: Optional[str] = None,
    launcher: str = 'none',
    gpus: int = 1,
    only: Optional[list[str]] = None,
) -> dict:
    """Run (or finish) every stage of ``pipeline_config`` and write the report.

    Args:
        pipeline_config (str): A config with ``stages`` (and optionally ``work_root``).
        work_root (str, optional): Root of the stage work_dirs. Defaults to the config's
            ``work_root`` or ``work_dirs/<pipeline config name>``.
        launcher (str): ``'none'`` or ``'pytorch'`` (with ``gpus`` > 1: dist_train.sh).
        gpus (int): Processes per stage for the pytorch launcher.
        only (list[str], optional): Run only these stages (the others must be complete).

    Returns:
        dict: The report (also written as ``report.json`` and ``report.md`` in the root).
    """
    pcfg = Config.fromfile(pipeline_config)
    name = osp.splitext(osp.basename(pipeline_config))[0]
    root = osp.abspath(work_root or pcfg.get('work_root') or osp.join('work_dirs', name))
    os.makedirs(root, exist_ok=True)
    names = dict(root=root)
    for stage in pcfg.stages:
        names[stage['name']] = osp.join(root, stage['name'])
    records = []
    for stage in pcfg.stages:
        work_dir = names[stage['name']]
        done = osp.join(work_dir, DONE)
        if osp.isfile(done) or (only and stage['name'] not in only):
            rec = _read_json(done)
            if rec is None:
                raise RuntimeError(f'stage {stage["name"]} is not complete ({done} missing)')
            rec['skipped'] = True
            records.append(rec)
            names[stage['name'] + '_checkpoint'] = last_checkpoint(work_dir)
            print(f'[pipeline] {stage["name"]}: complete, skipped', flush=True)
            continue
        resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        cmd = stage_command(stage, work_dir, names, launcher, gpus, resume)
        print(f'[pipeline] {stage["name"]}: {shlex.join(cmd)}', flush=True)
        start = time.time()
        subprocess.run(cmd, check=True, cwd=os.getcwd())
        rec = dict(
            stage=stage['name'],
            config=stage['config'],
            work_dir=work_dir,
            command=shlex.join(cmd),
            resumed=resume,
            wall_time_s=round(time.time() - start, 1),
            skipped=False,
        )
        save_json(done, rec)
        records.append(rec)
        names[stage['name'] + '_checkpoint'] = last_checkpoint(work_dir)
    report = build_report(pipeline_config, root, records, pcfg)
    save_json(osp.join(root, 'report.json'), report)
    with open(osp.join(root, 'report.md'), 'w') as f:
        f.write(report_markdown(report))
    return report


def build_report(pipeline_config: str, root: str, records: list[dict], pcfg: Config) -> dict:
    """Collect the three mIoU figures and the stage records."""
    by_name = {r['stage']: r for r in records}
    metrics = {}
    for r in records:
        cam = _read_json(osp.join(r['work_dir'], 'cam_metrics.json'))
        if cam is not None:
            metrics['seed'] = {
                'stage': r['stage'],
                'bg_threshold': cam.get('bg_threshold'),
                **cam['metrics'],
            }
        mask = _read_json(osp.join(r['work_dir'], 'mask_metrics.json'))
        if mask is not None:
            metrics['mask'] = {
                'stage': r['stage'],
                'bg_threshold': mask.get('bg_threshold'),
                **{k.split('/')[-1]: v for k, v in mask['metrics'].items()},
            }
    seg = pcfg.get('segmentation_stage')
    if seg in by_name:
        scalars = last_scalars(by_name[seg]['work_dir'])
        metrics['val'] = dict(
            stage=seg, **{k: v for k, v in scalars.items() if k in ('mIoU', 'aAcc', 'mAcc')}
        )
    return dict(
        pipeline=pipeline_config,
        work_root=root,
        description=pcfg.get('description'),
        stages=records,
        metrics=metrics,
        paper=PAPER,
        model_zoo=[dict(config=c, mIoU=m, ms_flip=f) for c, m, f in MODEL_ZOO],
    )


def _headline(entry: Optional[dict], keys: tuple[str, ...]) -> str:
    if not entry:
        return 'n/a'
    for k in keys:
        if k in entry and isinstance(entry[k], (int, float)):
            return f'{entry[k]:.2f}'
    return 'n/a'


def report_markdown(report: dict) -> str:
    """Render the report as markdown."""
    m = report['metrics']
    lines = [f'# Pipeline report: `{report["pipeline"]}`', '']
    if report.get('description'):
        lines += [report['description'], '']
    lines += [
        '## Measured here',
        '',
        '| figure | mIoU | split / note |',
        '|---|---|---|',
        f'| seed (CAM) | {_headline(m.get("seed"), ("mIoU",))} | train, background '
        f'{(m.get("seed") or {}).get("bg_threshold")} (sweep best, selected with GT: '
        f'{_headline(m.get("seed"), ("best_mIoU_gt_selected",))}) |',
        f'| pseudo mask (IRN) | {_headline(m.get("mask"), ("mIoU",))} | train, background '
        f'{(m.get("mask") or {}).get("bg_threshold")} |',
        f'| segmenter | {_headline(m.get("val"), ("mIoU",))} | val, single scale |',
        '',
        '## Stages',
        '',
        '| stage | wall time (s) | skipped | command |',
        '|---|---|---|---|',
    ]
    for r in report['stages']:
        lines.append(f'| {r["stage"]} | {r["wall_time_s"]} | {r["skipped"]} | `{r["command"]}` |')
    p = report['paper']
    lines += [
        '',
        '## References (not run here)',
        '',
        '| method | val | test | source |',
        '|---|---|---|---|',
        f'| {p["method"]} | {p["val"]} | {p["test"]} | {p["source"]} |',
    ]
    for z in report['model_zoo']:
        lines.append(
            f'| mmseg `{z["config"]}` (fully supervised) | {z["mIoU"]} '
            f'(ms+flip {z["ms_flip"]}) | - | mmseg model zoo |'
        )
    return '\n'.join(lines) + '\n'
