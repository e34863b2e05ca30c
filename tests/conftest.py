"""Shared fixtures: the repository root, the real voc-mini set and a tiny demo set."""

import os
import os.path as osp

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.normpath(osp.join(REPO, '..', 'shared'))
VOC_MINI = osp.join(SHARED, 'data', 'voc-mini')
VOC_MINI_ROOT = osp.join(VOC_MINI, 'VOCdevkit', 'VOC2012')
VOC_MINI_LABELS = osp.join(VOC_MINI, 'extras', 'irn_cls_labels.npy')

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope='session')
def voc_mini_root() -> str:
    """The real 500-image VOC subset beside the repository (skipped when absent)."""
    if not osp.isdir(VOC_MINI_ROOT):
        pytest.skip(
            f'real-data test: {VOC_MINI_ROOT} is absent (the ../shared folder beside '
            'the repository holds voc-mini)'
        )
    return VOC_MINI_ROOT


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """A tiny deterministic demo set (8 train / 4 val images) in VOC layout."""
    from projects.amr.datasets.demo import make_demo_voc

    return make_demo_voc(str(tmp_path_factory.mktemp('demo')), num_train=8, num_val=4, seed=1)


@pytest.fixture
def mmseg_scope():
    """Run a test under mmseg's default scope (Runners of other tests leave theirs behind)."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmseg'):
        yield
