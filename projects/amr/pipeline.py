"""Chain the stages (spotlight CAM -> [AMR ->] IRN -> DeepLabV2) under one work_dir root.

A pipeline config is a plain config file with a list ``stages``; each stage names a training
config and the ``cfg_options`` that wire the previous stages' outputs into it. Inside option
values, ``{root}`` is the pipeline's work_dir root (absolute), ``{<stage name>}`` that
stage's work_dir and ``{<stage name>_checkpoint}`` its last checkpoint (once the stage is
complete). Every stage runs ``tools/train.py`` (or ``tools/dist_train.sh`` for several
processes) in a subprocess, so each stage gets a clean registry scope, and its exact command
is recorded. A stage whose ``.stage_complete.json`` exists is skipped; an interrupted stage is
re-run with ``--resume`` (mmengine resumes training from the last checkpoint and the
pseudo-label hooks skip the files they already wrote).

A pipeline without an AMR stage (plain CAM -> IRN) wires IRN to ``{cam}``: its stage-1 config
carries the ``PseudoLabelHook`` that writes the CAMs and IR labels. ``only`` selects stages
(the others are taken as they are, when complete), ``overrides`` (``STAGE.KEY=VALUE``) change
one stage's config, ``reuse`` (``STAGE=DIR``) takes a stage from an existing work_dir, so a
later stage can be re-run on another run's outputs. :func:`result_record` turns a report into
the ``results/<name>.json`` record of ``tools/run_pipeline.py --name``.
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

from .utils.io import atomic_write, save_json

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


def _fill(value, names: dict, stage: str = '', key: str = ''):
    """``value`` with its ``{name}`` placeholders filled; a clear error for a missing stage."""
    if not isinstance(value, str):
        return value
    try:
        return value.format(**names)
    except KeyError as e:
        name = e.args[0]
        raise ValueError(
            f'stage {stage!r}, option {key}={value!r}: {{{name}}} names no stage that ran or '
            f'is complete under the work_dir root (run it, or give it with --reuse '
            f'{name.removesuffix("_checkpoint")}=DIR)'
        ) from None


def parse_overrides(items: Optional[list[str]], stages: list[str]) -> dict[str, dict[str, str]]:
    """Per-stage config overrides from ``STAGE.KEY=VALUE`` items.

    Args:
        items (list[str], optional): Items such as ``irn.train_cfg.max_epochs=12``; the value
            is passed to the stage's ``tools/train.py --cfg-options`` as written.
        stages (list[str]): The pipeline's stage names.

    Returns:
        dict: ``{stage: {key: value}}``.

    Raises:
        ValueError: naming the item when it has no ``=`` or its stage is not in the pipeline.
    """
    out: dict[str, dict[str, str]] = {}
    for item in items or []:
        key, sep, value = item.partition('=')
        stage, dot, rest = key.partition('.')
        if not sep or not dot or not rest:
            raise ValueError(f'override {item!r}: expected STAGE.KEY=VALUE')
        if stage not in stages:
            raise ValueError(f'override {item!r}: no stage {stage!r} (stages: {stages})')
        out.setdefault(stage, {})[rest] = value
    return out


def parse_reuse(items: Optional[list[str]], stages: list[str]) -> dict[str, str]:
    """``STAGE=DIR`` items: stages taken from an existing work_dir instead of being run.

    Raises:
        ValueError: naming the item when it is malformed, its stage unknown or DIR missing.
    """
    out = {}
    for item in items or []:
        stage, sep, path = item.partition('=')
        if not sep or stage not in stages:
            raise ValueError(f'--reuse {item!r}: expected STAGE=DIR with STAGE in {stages}')
        if not osp.isdir(path):
            raise ValueError(f'--reuse {item!r}: {path} is not a folder')
        out[stage] = osp.abspath(path)
    return out


def per_gpu_batch_size(config: str, gpus: int) -> int:
    """Batch size per process that keeps a ``1xbB`` stage config's total batch on ``gpus``.

    The stage configs are single-process recipes (AMR: 16, IRN: 16, DeepLabV2: 10 images per
    iteration). Under ``gpus`` processes each gets ``round(B / gpus)`` (at least 1), so the
    total stays at (or, when ``gpus`` does not divide ``B``, next to) the recipe's, with the
    recipe's learning rate. The command in the report shows the value used.
    """
    total = int(Config.fromfile(config).train_dataloader.batch_size)
    return max(1, round(total / gpus))


def stage_options(stage: dict, names: dict, overrides: Optional[dict] = None) -> dict:
    """The stage's ``cfg_options`` (placeholders filled) updated with ``overrides``."""
    opts = {k: _fill(v, names, stage['name'], k) for k, v in stage.get('cfg_options', {}).items()}
    for k, v in (overrides or {}).items():
        opts[k] = _fill(v, names, stage['name'], k)
    return opts


def stage_command(
    stage: dict,
    work_dir: str,
    names: dict,
    launcher: str,
    gpus: int,
    resume: bool,
    overrides: Optional[dict] = None,
) -> list[str]:
    """The command line that trains one stage (``overrides``: ``{key: value}`` on top)."""
    cfg_options = stage_options(stage, names, overrides)
    config = osp.join(REPO, stage['config'])
    if launcher == 'pytorch' and gpus > 1 and 'train_dataloader.batch_size' not in cfg_options:
        cfg_options['train_dataloader.batch_size'] = per_gpu_batch_size(config, gpus)
    opts = [f'{k}={v}' for k, v in cfg_options.items()]
    if launcher == 'pytorch':  # torchrun, also for one process (NCCL on CUDA)
        cmd = ['bash', osp.join(REPO, 'tools/dist_train.sh'), config, str(gpus)]
    else:
        cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), config]
    cmd += ['--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    if opts:
        cmd += ['--cfg-options', *opts]
    return cmd


def stage_seed(stage: dict, options: dict) -> Optional[int]:
    """The ``randomness.seed`` a stage trains with (its config's, or the override's)."""
    if 'randomness.seed' in options:
        return int(options['randomness.seed'])
    seed = Config.fromfile(osp.join(REPO, stage['config'])).get('randomness', {}).get('seed')
    return None if seed is None else int(seed)


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


def _not_run_record(stage: dict, work_dir: str, reused: bool) -> Optional[dict]:
    """The record of a stage taken as it is (complete, or reused); None when absent."""
    rec = _read_json(osp.join(work_dir, DONE))
    if rec is None and not reused:
        return None
    rec = rec or dict(stage=stage['name'], config=stage['config'], command='', wall_time_s=0)
    rec.update(stage=stage['name'], work_dir=work_dir, skipped=True, reused=reused)
    return rec


def _threads():
    """``OMP_NUM_THREADS`` of the stage processes (an int when set to one; None when unset)."""
    value = os.environ.get('OMP_NUM_THREADS')
    return int(value) if value and value.isdigit() else value


def _run_stage(stage: dict, work_dir: str, names: dict, run: dict) -> dict:
    """Train one stage in a subprocess (resuming a killed run) and record it."""
    resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
    overrides = dict(run['overrides'].get(stage['name'], {}))
    if run['seed'] is not None:
        overrides['randomness.seed'] = run['seed']
    cmd = stage_command(stage, work_dir, names, run['launcher'], run['gpus'], resume, overrides)
    print(f'[pipeline] {stage["name"]}: {shlex.join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, cwd=os.getcwd())
    rec = dict(
        stage=stage['name'],
        config=stage['config'],
        cfg_options=stage_options(stage, names, overrides),
        seed=stage_seed(stage, stage_options(stage, names, overrides)),
        threads=_threads(),
        work_dir=work_dir,
        command=shlex.join(cmd),
        resumed=resume,
        wall_time_s=round(time.time() - start, 1),
        skipped=False,
        reused=False,
    )
    save_json(osp.join(work_dir, DONE), rec)
    return rec


def _run_stages(stages: list, root: str, only: Optional[list], run: dict, reused: dict) -> list:
    """Run, take (complete or reused) or leave out each stage in order; their records."""
    names = dict(root=root)  # filled stage by stage: a placeholder names an earlier stage
    records = []
    for stage in stages:
        work_dir = reused.get(stage['name'], osp.join(root, stage['name']))
        taken = _not_run_record(stage, work_dir, stage['name'] in reused)
        if taken is not None and run['overrides'].get(stage['name']):
            raise ValueError(
                f'stage {stage["name"]!r} has overrides but is taken as it is from {work_dir} '
                '(complete or reused): run it under another --work-dir'
            )
        if taken is not None:
            print(f'[pipeline] {stage["name"]}: taken from {work_dir}, not run', flush=True)
            records.append(taken)
        elif not only or stage['name'] in only:
            records.append(_run_stage(stage, work_dir, names, run))
        else:
            print(f'[pipeline] {stage["name"]}: not selected, not complete: left out', flush=True)
            continue
        names[stage['name']] = work_dir
        if last_checkpoint(work_dir):
            names[stage['name'] + '_checkpoint'] = last_checkpoint(work_dir)
    return records


def run_pipeline(
    pipeline_config: str,
    work_root: Optional[str] = None,
    launcher: str = 'none',
    gpus: int = 1,
    only: Optional[list[str]] = None,
    overrides: Optional[list[str]] = None,
    reuse: Optional[list[str]] = None,
    seed: Optional[int] = None,
) -> dict:
    """Run (or finish) the stages of ``pipeline_config`` and write the report.

    Args:
        pipeline_config (str): A config with ``stages`` (and optionally ``work_root``).
        work_root (str, optional): Root of the stage work_dirs. Defaults to the config's
            ``work_root`` or ``work_dirs/<pipeline config name>``.
        launcher (str): ``'none'`` or ``'pytorch'`` (dist_train.sh, ``gpus`` processes).
        gpus (int): Processes per stage for the pytorch launcher.
        only (list[str], optional): Run only these stages; the others are taken as they are
            (complete under the root, or given by ``reuse``) or left out.
        overrides (list[str], optional): ``STAGE.KEY=VALUE`` config overrides.
        reuse (list[str], optional): ``STAGE=DIR``: take that stage's outputs from an
            existing work_dir (e.g. another pipeline's ``amr``) instead of running it.
        seed (int, optional): ``randomness.seed`` of every stage that runs.

    Returns:
        dict: The report (also written as ``report.json`` and ``report.md`` in the root).
    """
    pcfg = Config.fromfile(pipeline_config)
    stage_names = [s['name'] for s in pcfg.stages]
    name = osp.splitext(osp.basename(pipeline_config))[0]
    root = osp.abspath(work_root or pcfg.get('work_root') or osp.join('work_dirs', name))
    run = dict(
        launcher=launcher,
        gpus=gpus,
        seed=seed,
        overrides=parse_overrides(overrides, stage_names),
    )
    reused = parse_reuse(reuse, stage_names)
    for stage in only or []:
        if stage not in stage_names:
            raise ValueError(f'no stage {stage!r} to run (stages: {stage_names})')
    os.makedirs(root, exist_ok=True)
    records = _run_stages(pcfg.stages, root, only, run, reused)
    report = build_report(pipeline_config, root, records, pcfg)
    save_json(osp.join(root, 'report.json'), report)
    atomic_write(osp.join(root, 'report.md'), lambda tmp: _write_text(tmp, report_markdown(report)))
    return report


def _write_text(path: str, text: str) -> None:
    with open(path, 'w') as f:
        f.write(text)


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


def git_state(repo: str = REPO) -> dict:
    """The repository's commit and whether tracked files differ from it (None outside git)."""

    def git(*args: str) -> str:
        out = subprocess.run(['git', *args], cwd=repo, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ''

    commit = git('rev-parse', 'HEAD') or None
    dirty = bool(git('status', '--porcelain', '--untracked-files=no')) if commit else None
    return dict(commit=commit, dirty=dirty)


def result_record(report: dict, name: str, command: str) -> dict:
    """The ``results/<name>.json`` record of one runner invocation.

    Args:
        report (dict): What :func:`run_pipeline` returned.
        name (str): The result's name.
        command (str): The exact command line that produced it (environment prefix included).

    Returns:
        dict: name, command, pipeline config and description, per-stage config, options,
        command, seed, threads and wall time, the run's seed and thread count when all
        stages share them, the git commit, the metrics and the walls.
    """
    ran = [r for r in report['stages'] if not r.get('skipped')]
    seeds = {r.get('seed') for r in ran}
    threads = {r.get('threads') for r in ran}
    return dict(
        name=name,
        command=command,
        pipeline=report['pipeline'],
        description=report.get('description'),
        seed=seeds.pop() if len(seeds) == 1 else None,
        threads=threads.pop() if len(threads) == 1 else None,
        **git_state(),
        finished_utc=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        work_root=report['work_root'],
        metrics=report['metrics'],
        wall_s=dict(
            {r['stage']: r['wall_time_s'] for r in ran},
            total=round(sum(r['wall_time_s'] for r in ran), 1),
        ),
        stages=report['stages'],
    )
