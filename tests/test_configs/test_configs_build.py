"""Every config under configs/ parses and builds its model on CPU (mmseg's test_config)."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.utils import import_modules_from_strings

from tests.conftest import REPO

ALL = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
CONFIGS = [p for p in ALL if '_base_' not in p and '/pipelines/' not in p]
PIPELINES = [p for p in ALL if '/pipelines/' in p]


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
