"""Every config under configs/ parses and builds its model on CPU (mmseg's test_config)."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.utils import import_modules_from_strings

from tests.conftest import REPO

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def test_configs_found():
    assert any('cam_r50_1xb16-8e_voc12aug-512x512' in p for p in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    if 'model' not in cfg:
        pytest.skip('config without a model (pipeline config)')
    assert cfg.get('default_scope') in ('mmpretrain', 'mmseg')
    init_default_scope(cfg.default_scope)
    imports = cfg.get('custom_imports', {}).get('imports', [])
    import_modules_from_strings(imports)
    model = MODELS.build(cfg.model)  # weights are not loaded: no network, no checkpoint
    assert sum(p.numel() for p in model.parameters()) > 0
