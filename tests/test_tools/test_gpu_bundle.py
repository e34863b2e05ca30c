"""tools/gpu_bundle.py: the wheelhouse checks and the bundle assembly, on fake wheels (no build)."""

import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import gpu_bundle  # noqa: E402
from gpu_bundle import BundleError  # noqa: E402


def fake_wheelhouse(path, torch='2.11.0', size=1000) -> str:
    """One placeholder file per wanted wheel, named as pip names wheels, and the manifest."""
    os.makedirs(path, exist_ok=True)
    for name, version in gpu_bundle.wanted(torch):
        fname = f'{name.replace("-", "_")}-{version}-py3-none-any.whl'
        with open(osp.join(path, fname), 'wb') as f:
            f.write(b'\0' * size)
    gpu_bundle.write_manifest(str(path), 'cp312', torch, '13.0')
    return str(path)


def git_tree(path) -> str:
    """A work tree with one 10 kB file whose .gitignore ignores gpu_bundle/."""
    os.makedirs(path)
    subprocess.run(['git', 'init', '-q', str(path)], check=True)
    with open(osp.join(path, '.gitignore'), 'w') as f:
        f.write('/gpu_bundle/\n')
    with open(osp.join(path, 'code.py'), 'wb') as f:
        f.write(b'#' * 10_000)
    return str(path)


def test_requirements_and_torchvision_pairing():
    reqs = dict(gpu_bundle.read_requirements())
    assert reqs['mmcv'] == '2.1.0' and reqs['markdown-it-py'] == '4.3.0'
    assert 'torch' not in reqs and 'numpy' not in reqs  # the node's own
    assert gpu_bundle.torchvision_for('2.11.0') == '0.26.0'
    assert gpu_bundle.torchvision_for('2.14.1') == '0.29.1'
    for bad in ('1.13.1', '2.5.0', '2.11', 'nightly'):
        with pytest.raises(BundleError, match='cannot match torch'):
            gpu_bundle.torchvision_for(bad)


def test_check_names_missing_wheel_and_mismatched_torch(tmp_path):
    wheels = fake_wheelhouse(tmp_path / 'w')
    paths = gpu_bundle.check_wheelhouse(wheels, '3.12.3', '2.11.0+cu130', verify_hashes=True)
    assert len(paths) == len(gpu_bundle.wanted('2.11.0'))
    assert any(p.endswith('torchvision-0.26.0-py3-none-any.whl') for p in paths)
    with pytest.raises(BundleError, match='torch 2.10.0\\+cu128.*built against torch 2.11.0'):
        gpu_bundle.check_wheelhouse(wheels, '3.12.3', '2.10.0+cu128')
    with pytest.raises(BundleError, match='Python is 3.11.7.*cp312.*--python 3.11'):
        gpu_bundle.check_wheelhouse(wheels, '3.11.7', '2.11.0')
    with pytest.raises(BundleError, match='has no torch'):
        gpu_bundle.check_wheelhouse(wheels, '3.12.3', None)
    os.remove(osp.join(wheels, 'mmengine-0.10.7-py3-none-any.whl'))
    with pytest.raises(BundleError, match='missing wheel mmengine==0.10.7'):
        gpu_bundle.check_wheelhouse(wheels, '3.12.3', '2.11.0')
    with pytest.raises(BundleError, match='wheel mmengine==0.10.7 is missing'):
        gpu_bundle.write_manifest(wheels, 'cp312', '2.11.0', None)
    os.remove(osp.join(wheels, gpu_bundle.MANIFEST))
    with pytest.raises(BundleError, match='MANIFEST.json not found'):
        gpu_bundle.check_wheelhouse(wheels, '3.12.3', '2.11.0')


def test_check_cli_exit_status_and_message(tmp_path):
    """The node-side command: stdlib only, exit 2 and the reason on stderr."""
    wheels = fake_wheelhouse(tmp_path / 'w', torch='2.14.1')
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'gpu_bundle.py'), 'check', '--wheelhouse', wheels],
        capture_output=True,
        text=True,
    )
    # the test interpreter is not cp312 / torch 2.14.1 at once: one of the two is refused
    assert proc.returncode == 2 and 'rebuild' in proc.stderr and not proc.stdout


def test_assemble_subset_wheels_and_size(tmp_path, voc_mini_root):
    data_root = osp.dirname(osp.dirname(voc_mini_root))
    wheels = fake_wheelhouse(tmp_path / 'w')
    repo = git_tree(tmp_path / 'repo')
    out = osp.join(repo, 'gpu_bundle')
    report = gpu_bundle.assemble(out, wheels, data_root, n_train=4, n_val=2, repo=repo)
    assert sorted(os.listdir(out)) == ['BUNDLE.json', 'voc-mini', 'wheels']
    assert len(os.listdir(osp.join(out, 'wheels'))) == len(gpu_bundle.wanted('2.11.0')) + 1
    voc = osp.join(out, 'voc-mini', 'VOCdevkit', 'VOC2012')
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    train_aug = open(osp.join(sets, 'train_aug.txt')).read().split()
    val = open(osp.join(sets, 'val.txt')).read().split()
    assert len(train_aug) == 4 and len(val) == 2 and gpu_bundle.EQUALITY_IMAGE in train_aug
    official = set(open(osp.join(voc_mini_root, 'ImageSets/Segmentation/train.txt')).read().split())
    assert open(osp.join(sets, 'train.txt')).read().split() == [
        i for i in train_aug if i in official
    ]
    assert sorted(os.listdir(osp.join(voc, 'JPEGImages'))) == sorted(
        f'{i}.jpg' for i in train_aug + val
    )
    labels = np.load(osp.join(out, 'voc-mini', 'extras', 'irn_cls_labels.npy'), allow_pickle=True)
    assert set(labels.item()) == {int(i.replace('_', '')) for i in train_aug + val}
    assert osp.isfile(osp.join(out, 'voc-mini', 'SOURCE.md'))
    assert report['images'] == dict(train_aug=4, train=report['images']['train'], val=2)
    assert report['mib']['tree'] == round(10_000 / 2**20 + 13 / 2**20, 2)
    assert json.load(open(osp.join(out, 'BUNDLE.json')))['total_mib'] == report['total_mib']
    assert report['total_mib'] < report['cap_mib']


def test_assemble_refuses_over_cap_unignored_and_incomplete(tmp_path, voc_mini_root):
    data_root = osp.dirname(osp.dirname(voc_mini_root))
    wheels = fake_wheelhouse(tmp_path / 'w', size=300_000)
    repo = git_tree(tmp_path / 'repo')
    out = osp.join(repo, 'gpu_bundle')
    with pytest.raises(BundleError, match='bundle too large: tree 0.0 \\+ wheels .* > 1.0 MiB'):
        gpu_bundle.assemble(out, wheels, data_root, n_train=4, n_val=2, cap_mib=1.0, repo=repo)
    assert not osp.exists(out)  # refused before anything is written
    with pytest.raises(BundleError, match='not git-ignored'):
        gpu_bundle.assemble(osp.join(repo, 'elsewhere'), wheels, data_root, repo=repo)
    os.remove(osp.join(wheels, 'pyyaml-6.0.4-py3-none-any.whl'))
    with pytest.raises(BundleError, match='missing wheel pyyaml==6.0.4'):
        gpu_bundle.assemble(out, wheels, data_root, n_train=4, n_val=2, repo=repo)
