"""Every config under configs/ parses and builds its model on CPU (mmseg's test_config)."""

import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.utils import import_modules_from_strings

from tests.conftest import REPO

ALL = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
CONFIGS = [p for p in ALL if '_base_' not in p and '/pipelines/' not in p]
PIPELINES = [p for p in ALL if '/pipelines/' in p and '_base_' not in p]


def test_configs_found():
    assert any('cam_r50_1xb16-8e_voc12aug-512x512' in p for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') in ('mmpretrain', 'mmseg')
    import_modules_from_strings(cfg.get('custom_imports', {}).get('imports', []))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)  # weights are not loaded: no network, no checkpoint
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize('path', PIPELINES, ids=lambda p: osp.relpath(p, REPO))
def test_pipeline_config_names_existing_stage_configs(path):
    cfg = Config.fromfile(path)
    names = [s['name'] for s in cfg.stages]
    assert len(set(names)) == len(names) and cfg.segmentation_stage in names
    for stage in cfg.stages:
        stage_cfg = Config.fromfile(osp.join(REPO, stage['config']))
        for key in stage.get('cfg_options', {}):
            parent = stage_cfg
            *head, last = key.split('.')
            for part in head:  # every overridden key must already exist in the stage config
                parent = parent[int(part)] if part.isdigit() else parent[part]
            assert last in parent, f'{stage["config"]}: no key {key}'


# mmseg's naming: {algorithm}_{backbone}[_{deviations}]_{NxbB}-{schedule}_{dataset}-{crop}.py;
# pipelines: {algorithm}_{backbone}[_{deviations}]_{dataset}.py (configs/README.md)
TOKEN = r'[a-z0-9]+(?:-[a-z0-9]+)*'
STAGE_NAME = re.compile(rf'^{TOKEN}_{TOKEN}(?:_{TOKEN})?_\d+xb\d+-\d+[a-z]+_{TOKEN}-\d+x\d+\.py$')
PIPELINE_NAME = re.compile(rf'^{TOKEN}_{TOKEN}(?:_{TOKEN})?_{TOKEN}\.py$')


@pytest.mark.parametrize('path', CONFIGS + PIPELINES, ids=lambda p: osp.relpath(p, REPO))
def test_config_name_follows_the_scheme(path):
    pattern = PIPELINE_NAME if path in PIPELINES else STAGE_NAME
    assert pattern.match(osp.basename(path)), osp.relpath(path, REPO)


@pytest.mark.parametrize('path', PIPELINES, ids=lambda p: osp.relpath(p, REPO))
def test_pipeline_placeholders_name_earlier_stages(path):
    """``{stage}`` / ``{stage_checkpoint}`` in a stage's options name a stage that ran before.

    A pipeline without an AMR stage (plain CAM -> IRN) wires IRN to ``{cam}``.
    """
    earlier = {'root'}
    for stage in Config.fromfile(path).stages:
        for value in stage.get('cfg_options', {}).values():
            for name in re.findall(r'{(\w+)}', str(value)):
                assert name.removesuffix('_checkpoint') in earlier, (stage['name'], name)
        earlier.add(stage['name'])


POOL = [p for p in CONFIGS if '_voc12pool-' in osp.basename(p)]


def test_pool_configs_found():
    kinds = {osp.basename(osp.dirname(p)) for p in POOL}
    assert {'amr', 'irn', 'deeplabv2'} <= kinds
    assert any(osp.basename(p).startswith('cam_') for p in POOL)


@pytest.mark.parametrize('path', POOL, ids=lambda p: osp.relpath(p, REPO))
def test_pool_configs_train_on_the_pool_and_validate_on_voc_mini(path):
    base = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/voc12pool_cls.py'))
    mini = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/voc12mini_cls.py'))
    cfg = Config.fromfile(path)
    train = cfg.train_dataloader.dataset
    assert train.ann_file == base.train_dataloader.dataset.ann_file
    assert mini.train_dataloader.dataset.ann_file != train.ann_file
    assert train.data_root == base.data_root
    if cfg.get('val_dataloader'):
        assert cfg.val_dataloader.dataset.ann_file == mini.val_dataloader.dataset.ann_file
    for hook in cfg.get('custom_hooks', []):
        if 'eval_ann_file' in hook:  # seeds / masks scored on the pool's train ids
            assert hook['eval_ann_file'] == base.pool_train_ann_file
