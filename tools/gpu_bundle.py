r"""The offline install on a GPU node: its wheelhouse, the check bundle, and their checks.

A GPU node of a cluster often has its own Python and PyTorch and no internet. The project
then travels with a *wheelhouse*: every wheel it needs beyond what the node has (see
``requirements/offline.txt``), built on a connected machine for the node's Python and torch.

* ``wheelhouse``: build it (``tools/install.sh --wheelhouse DIR --python 3.12 --torch 2.11.0``
  calls this): mmcv 2.1.0 with its compiled CPU ops and pydensecrf2, both built against the
  target torch in a cached build environment, the other pins downloaded, torchvision at the
  version that pairs with the target torch; ``MANIFEST.json`` records the target and every file.
* ``check``: on the node, before anything is installed (standard library only): every wheel of
  the manifest present, the node's Python and torch the ones the wheelhouse was built for.
  Prints the wheel paths to install, one per line.
* ``assemble``: the GPU check bundle, a git-ignored folder of the work tree (``gpu_bundle/``):
  the wheelhouse plus a real-data subset of voc-mini, refused when work tree + bundle exceed
  the size cap (60 MiB; the node receives 64 MiB).

    python tools/gpu_bundle.py assemble --data-root PATH/voc-mini      # on the connected machine
    bash tools/gpu_node.sh                                             # on the GPU node
"""

import argparse
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
REQUIREMENTS = osp.join(REPO, 'requirements', 'offline.txt')
MANIFEST = 'MANIFEST.json'
MMCV_VERSION = '2.1.0'
BUILT = ('mmcv', 'pydensecrf2')  # no wheel on the index: built from the sdist for the target
BUNDLE = 'gpu_bundle'
CAP_MIB = 60.0
EQUALITY_IMAGE = '2007_000063'  # tools/gpu_check.py's equality step reads this image
MIB = 1024 * 1024


class BundleError(RuntimeError):
    """A wheelhouse or bundle that cannot serve the node; the message says why."""


def canonical(name: str) -> str:
    """PEP 503 normalised project name (``Markdown_It.py`` -> ``markdown-it-py``)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def read_requirements(path: str = REQUIREMENTS) -> list[tuple[str, str]]:
    """``(name, version)`` of every ``name==version`` line of ``path`` (comments ignored)."""
    reqs = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r'([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)', line)
            if m is None:
                raise BundleError(f'{path}:{lineno}: expected name==version, got {line!r}')
            reqs.append((canonical(m[1]), m[2]))
    return reqs


def torchvision_for(torch_version: str) -> str:
    """The torchvision release built for ``torch_version`` (torch 2.m.p pairs with 0.(m+15).p).

    Raises:
        BundleError: for versions the project cannot run with (torch < 2.6, not x.y.z).
    """
    m = re.fullmatch(r'2\.(\d+)\.(\d+)', torch_version)
    if m is None or int(m[1]) < 6:
        raise BundleError(
            f'cannot match torch {torch_version!r}: the wheelhouse needs a released torch '
            '2.m.p with m >= 6 (the project needs torch >= 2.6; e.g. --torch 2.11.0)'
        )
    return f'0.{int(m[1]) + 15}.{m[2]}'


def python_tag(version: str) -> str:
    """``'3.12'`` or ``'3.12.3'`` -> ``'cp312'``."""
    m = re.fullmatch(r'3\.(\d+)(\.\d+)?', version)
    if m is None:
        raise BundleError(f'expected a Python version like 3.12, got {version!r}')
    return f'cp3{m[1]}'


def wheel_name_version(filename: str) -> tuple[str, str]:
    """Canonical name and version of a wheel file name (``name-version-...-tag.whl``)."""
    parts = osp.basename(filename).split('-')
    if not filename.endswith('.whl') or len(parts) < 5:
        raise BundleError(f'not a wheel file name: {filename}')
    return canonical(parts[0]), parts[1]


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def wanted(torch_version: str, path: str = REQUIREMENTS) -> list[tuple[str, str]]:
    """Every ``(name, version)`` of the wheelhouse for ``torch_version``: the pins + torchvision."""
    return [*read_requirements(path), ('torchvision', torchvision_for(torch_version))]


def index_wheels(wheel_dir: str) -> dict[tuple[str, str], str]:
    """``(name, version)`` -> file name of every wheel in ``wheel_dir``."""
    if not osp.isdir(wheel_dir):
        raise BundleError(f'no wheelhouse folder {wheel_dir}')
    return {wheel_name_version(f): f for f in sorted(os.listdir(wheel_dir)) if f.endswith('.whl')}


def write_manifest(wheel_dir: str, py_tag: str, torch_version: str, torch_cuda: str | None):
    """Write ``MANIFEST.json`` for the wheels of :func:`wanted` found in ``wheel_dir``.

    Raises:
        BundleError: naming the first wanted wheel that is missing.
    """
    have = index_wheels(wheel_dir)
    files = []
    for name, version in wanted(torch_version):
        if (name, version) not in have:
            raise BundleError(f'wheel {name}=={version} is missing from {wheel_dir}')
        path = osp.join(wheel_dir, have[name, version])
        files.append(
            dict(
                name=name,
                version=version,
                file=have[name, version],
                bytes=osp.getsize(path),
                sha256=sha256(path),
            )
        )
    manifest = dict(
        python=py_tag,
        torch=torch_version,
        built_against_torch_cuda=torch_cuda,
        mmcv_ops='cpu',  # compiled ops: CPU kernels only (no nvcc on the build machine)
        files=files,
        total_bytes=sum(f['bytes'] for f in files),
    )
    atomic_write(osp.join(wheel_dir, MANIFEST), json.dumps(manifest, indent=1) + '\n')
    return manifest


def atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)), suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def read_manifest(wheel_dir: str) -> dict:
    path = osp.join(wheel_dir, MANIFEST)
    if not osp.isfile(path):
        raise BundleError(
            f'{path} not found: build the wheelhouse with '
            'tools/install.sh --wheelhouse DIR --python X.Y --torch X.Y.Z'
        )
    with open(path) as f:
        return json.load(f)


def check_wheelhouse(
    wheel_dir: str, node_python: str, node_torch: str | None, verify_hashes: bool = False
) -> list[str]:
    """The wheels to install on a node, in the manifest's order.

    Args:
        wheel_dir: the wheelhouse folder (with ``MANIFEST.json``).
        node_python: the node's Python version (``'3.12.3'``).
        node_torch: the node's torch version (``'2.11.0+cu130'``), None when it has no torch.
        verify_hashes: also compare every file's sha256 with the manifest.

    Raises:
        BundleError: a missing or corrupt wheel (named), a pin of ``requirements/offline.txt``
            the manifest lacks, or a Python / torch the wheelhouse was not built for.
    """
    manifest = read_manifest(wheel_dir)
    if python_tag(node_python) != manifest['python']:
        raise BundleError(
            f'this Python is {node_python} but the wheelhouse {wheel_dir} holds '
            f'{manifest["python"]} wheels; rebuild it with --python '
            f'{".".join(node_python.split(".")[:2])}'
        )
    if node_torch is None:
        raise BundleError('this Python has no torch; the offline install uses the node torch')
    if node_torch.split('+')[0] != manifest['torch']:
        raise BundleError(
            f'this node has torch {node_torch}, but mmcv {MMCV_VERSION} in {wheel_dir} was '
            f'built against torch {manifest["torch"]} (its compiled ops would not load); '
            f'rebuild with tools/install.sh --wheelhouse DIR --torch {node_torch.split("+")[0]}'
        )
    listed = {(f['name'], f['version']) for f in manifest['files']}
    for name, version in wanted(manifest['torch']):
        if (name, version) not in listed:
            raise BundleError(
                f'{wheel_dir}/{MANIFEST} has no {name}=={version} (requirements/offline.txt '
                'changed since the wheelhouse was built): rebuild it'
            )
    paths = []
    for entry in manifest['files']:
        path = osp.join(wheel_dir, entry['file'])
        if not osp.isfile(path):
            raise BundleError(f'missing wheel {entry["name"]}=={entry["version"]}: {path}')
        if verify_hashes and sha256(path) != entry['sha256']:
            raise BundleError(f'wheel {path} does not match its sha256 in {MANIFEST}')
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- wheelhouse build
def run(cmd: list[str], what: str, **kwargs) -> None:
    """Run ``cmd`` (output shown); a failure raises :class:`BundleError` naming ``what``."""
    print('[wheelhouse] ' + ' '.join(cmd), flush=True)
    if subprocess.run(cmd, **kwargs).returncode != 0:
        raise BundleError(f'{what} failed: {" ".join(cmd)}')


def find_python(version: str) -> str:
    """An interpreter of Python ``version``: ``$PYTHON``, ``pythonX.Y`` on PATH, or pyenv's."""
    candidates = [os.environ.get('PYTHON'), shutil.which(f'python{version}')]
    pyenv = osp.expanduser('~/.pyenv/versions')
    if osp.isdir(pyenv):
        for v in sorted(os.listdir(pyenv), reverse=True):
            if v == version or v.startswith(version + '.'):
                candidates.append(osp.join(pyenv, v, 'bin', f'python{version}'))
    for py in filter(None, candidates):
        probe = subprocess.run(
            [py, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return py
    raise BundleError(f'no Python {version} found (set PYTHON=/path/to/python{version})')


def build_env(py: str, python_version: str, torch_version: str, root: str) -> str:
    """A cached virtual environment with ``torch==torch_version`` (and its CUDA libraries, which
    ``import torch`` needs) plus the build tools; returns its python.

    Raises:
        BundleError: when the index has no such torch for this Python.
    """
    venv = osp.join(root, f'py{python_version}-torch{torch_version}')
    vpy = osp.join(venv, 'bin', 'python')
    stamp = osp.join(venv, '.amr-build-env')
    if osp.isfile(stamp):
        return vpy
    run([py, '-m', 'venv', venv], 'creating the build environment')
    pins = [f'torch=={torch_version}', 'setuptools==80.10.2', 'numpy==2.3.5', 'cython']
    try:
        run(
            [vpy, '-m', 'pip', 'install', *pins, '-r', osp.join(REPO, 'requirements', 'build.txt')],
            f'installing torch {torch_version} into {venv}',
        )
    except BundleError as exc:
        raise BundleError(f'cannot match torch {torch_version} for {py}: {exc}') from exc
    atomic_write(stamp, torch_version + '\n')
    return vpy


def strip_wheel(vpy: str, wheel: str, out_dir: str) -> str:
    """``wheel`` with its shared objects stripped of debug symbols, written to ``out_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        run([vpy, '-m', 'wheel', 'unpack', wheel, '-d', tmp], 'unpacking ' + wheel)
        (unpacked,) = [osp.join(tmp, d) for d in os.listdir(tmp)]
        for dirpath, _, files in os.walk(unpacked):
            for f in files:
                if f.endswith('.so'):
                    run(['strip', '--strip-debug', osp.join(dirpath, f)], 'strip ' + f)
        os.makedirs(out_dir, exist_ok=True)
        before = set(os.listdir(out_dir))
        run([vpy, '-m', 'wheel', 'pack', unpacked, '-d', out_dir], 'packing ' + wheel)
        (new,) = set(os.listdir(out_dir)) - before or {osp.basename(wheel)}
    return osp.join(out_dir, new)


def mmcv_cache(torch_version: str) -> str:
    """Where built mmcv wheels for ``torch_version`` are kept (shared with install.sh)."""
    root = os.environ.get('MMCV_WHEEL_CACHE', osp.expanduser('~/.cache/amr-mmcv-wheels'))
    return osp.join(root, f'torch-{torch_version}-cpu')


def cached(folder: str, prefix: str) -> str | None:
    """The first wheel in ``folder`` whose name starts with ``prefix`` (None when none)."""
    names = sorted(os.listdir(folder)) if osp.isdir(folder) else []
    found = [f for f in names if f.startswith(prefix) and f.endswith('.whl')]
    return osp.join(folder, found[0]) if found else None


def build_mmcv(vpy: str, torch_version: str) -> str:
    """Build mmcv 2.1.0 with compiled CPU ops against the torch of ``vpy``; cache the wheel."""
    with tempfile.TemporaryDirectory() as tmp:
        run(
            [
                vpy,
                '-m',
                'pip',
                'download',
                '--no-deps',
                '--no-binary',
                'mmcv',
                '-d',
                tmp,
                f'mmcv=={MMCV_VERSION}',
            ],
            'downloading the mmcv sdist',
        )
        run(['tar', '-xzf', osp.join(tmp, f'mmcv-{MMCV_VERSION}.tar.gz'), '-C', tmp], 'untar')
        setup = osp.join(tmp, f'mmcv-{MMCV_VERSION}', 'setup.py')
        with open(setup) as f:
            text = f.read()
        with open(setup, 'w') as f:  # torch >= 2.10 headers need C++20; mmcv forces C++17
            f.write(text.replace("'-std=c++17'", "'-std=c++20'"))
        env = dict(os.environ, FORCE_CUDA='0', MMCV_WITH_OPS='1', MAX_JOBS=str(os.cpu_count()))
        print(f'[wheelhouse] building mmcv {MMCV_VERSION} (CPU ops): ~15 min on 2 cores')
        run(
            [
                vpy,
                '-m',
                'pip',
                'wheel',
                '--no-build-isolation',
                '--no-deps',
                osp.dirname(setup),
                '-w',
                osp.join(tmp, 'dist'),
            ],
            'building mmcv',
            env=env,
        )
        (wheel,) = os.listdir(osp.join(tmp, 'dist'))
        return strip_wheel(vpy, osp.join(tmp, 'dist', wheel), mmcv_cache(torch_version))


def pydensecrf_cache(version: str, tag: str) -> str:
    return osp.join(osp.expanduser('~/.cache/amr-wheels'), f'pydensecrf2-{version}-{tag}')


def build_pydensecrf(vpy: str, version: str, tag: str) -> str:
    """Build pydensecrf2 (an sdist only on the index) as a stripped ``tag`` wheel; cache it."""
    with tempfile.TemporaryDirectory() as tmp:
        run(
            [vpy, '-m', 'pip', 'wheel', '--no-deps', '-w', tmp, f'pydensecrf2=={version}'],
            'building pydensecrf2',
        )
        (wheel,) = os.listdir(tmp)
        return strip_wheel(vpy, osp.join(tmp, wheel), pydensecrf_cache(version, tag))


def download(pins: list[str], python_version: str, out: str) -> None:
    """``pip download`` the wheels of ``pins`` for CPython ``python_version`` on x86_64 Linux.

    manylinux_2_28 at most: the glibc that torch's own wheels need.
    """
    tag = python_tag(python_version)
    platforms = ['manylinux_2_28_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64']
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:']
    cmd += ['--python-version', python_version, '--implementation', 'cp', '--abi', tag]
    for platform in platforms:
        cmd += ['--platform', platform]
    run([*cmd, '-d', out, *pins], 'downloading the wheels')


def build_wheelhouse(out: str, python_version: str, torch_version: str) -> dict:
    """Fill ``out`` with every wheel of :func:`wanted` for the target; returns the manifest.

    mmcv and pydensecrf2 come from their caches, or are built in a cached environment holding
    the target torch (created only then: torch and its CUDA libraries are several GB).
    """
    tag = python_tag(python_version)
    torchvision_for(torch_version)  # refuse an unmatched torch before any download
    pins = dict(read_requirements())
    mmcv = cached(mmcv_cache(torch_version), f'mmcv-{MMCV_VERSION}-{tag}-')
    crf = cached(pydensecrf_cache(pins['pydensecrf2'], tag), f'pydensecrf2-{pins["pydensecrf2"]}-')
    cuda = None
    if mmcv is None or crf is None:
        root = osp.join(osp.expanduser('~/.cache/amr-wheels'), 'build-envs')
        vpy = build_env(find_python(python_version), python_version, torch_version, root)
        mmcv = mmcv or build_mmcv(vpy, torch_version)
        crf = crf or build_pydensecrf(vpy, pins['pydensecrf2'], tag)
        query = [vpy, '-c', 'import torch; print(torch.version.cuda)']
        cuda = subprocess.run(query, capture_output=True, text=True).stdout.strip() or None
    os.makedirs(out, exist_ok=True)
    for wheel in (mmcv, crf):
        shutil.copy2(wheel, out)
    download([f'{n}=={v}' for n, v in wanted(torch_version) if n not in BUILT], python_version, out)
    manifest = write_manifest(out, tag, torch_version, None if cuda == 'None' else cuda)
    print(
        f'[wheelhouse] {len(manifest["files"])} wheels, {manifest["total_bytes"] / MIB:.1f} MiB '
        f'in {out} (Python {tag}, torch {torch_version}; mmcv ops: CPU)'
    )
    return manifest


# --------------------------------------------------------------------------- the check bundle
def tree_bytes(repo: str = REPO) -> int:
    """Bytes of the work tree as it travels: tracked plus untracked files git does not ignore."""
    names = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.split(b'\0')
    paths = (osp.join(repo, n.decode()) for n in names if n)
    return sum(osp.getsize(p) for p in paths if osp.isfile(p))


def default_data_root() -> str | None:
    """The voc-mini folder that ``configs/_base_/datasets/voc12mini_cls.py`` reads."""
    cfg = osp.join(REPO, 'configs', '_base_', 'datasets', 'voc12mini_cls.py')
    with open(cfg) as f:
        m = re.search(r"^data_root = '(.+)/VOCdevkit/VOC2012'$", f.read(), re.M)
    return osp.normpath(osp.join(REPO, m[1])) if m else None


def read_ids(path: str) -> list[str]:
    if not osp.isfile(path):
        raise BundleError(f'no id list {path}')
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def choose_ids(voc: str, n_train: int, n_val: int) -> dict[str, list[str]]:
    """The subset's id lists.

    The first ``n_train`` train_aug ids (the equality image among them), the official-train
    ids among those (seed evaluation) and the first ``n_val`` val ids.
    """
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    train_aug = read_ids(osp.join(sets, 'train_aug.txt'))[:n_train]
    if EQUALITY_IMAGE not in train_aug:
        train_aug = [EQUALITY_IMAGE, *train_aug[: n_train - 1]]
    official = set(read_ids(osp.join(sets, 'train.txt')))
    train = [i for i in train_aug if i in official]
    val = read_ids(osp.join(sets, 'val.txt'))[:n_val]
    return dict(train_aug=train_aug, train=train, val=val, trainval=train + val)


def data_files(voc: str, ids: dict[str, list[str]]) -> list[str]:
    """Paths relative to ``voc`` of the subset's images and masks (all must exist)."""
    rel = []
    for i in dict.fromkeys(ids['train_aug'] + ids['val']):
        rel += [f'JPEGImages/{i}.jpg', f'SegmentationClassAug/{i}.png']
    for i in dict.fromkeys(ids['train'] + ids['val']):
        rel.append(f'SegmentationClass/{i}.png')
    missing = [r for r in rel if not osp.isfile(osp.join(voc, r))]
    if missing:
        raise BundleError(f'{voc} lacks {len(missing)} files of the subset, e.g. {missing[0]}')
    return rel


def write_data_subset(data_root: str, dst: str, ids: dict, rel: list[str]) -> None:
    """Copy the subset into ``dst`` (voc-mini's layout): files, lists, labels, attribution."""
    import numpy as np

    voc, out_voc = (osp.join(d, 'VOCdevkit', 'VOC2012') for d in (data_root, dst))
    for r in rel:
        os.makedirs(osp.dirname(osp.join(out_voc, r)), exist_ok=True)
        shutil.copyfile(osp.join(voc, r), osp.join(out_voc, r))
    sets = osp.join(out_voc, 'ImageSets', 'Segmentation')
    os.makedirs(sets, exist_ok=True)
    for name, lst in ids.items():
        atomic_write(osp.join(sets, f'{name}.txt'), '\n'.join(lst) + '\n')
    labels = np.load(osp.join(data_root, 'extras', 'irn_cls_labels.npy'), allow_pickle=True)
    keys = {int(i.replace('_', '')) for i in ids['train_aug'] + ids['val']}
    os.makedirs(osp.join(dst, 'extras'), exist_ok=True)
    np.save(
        osp.join(dst, 'extras', 'irn_cls_labels.npy'),
        {k: v for k, v in labels.item().items() if k in keys},
    )
    shutil.copyfile(osp.join(data_root, 'SOURCE.md'), osp.join(dst, 'SOURCE.md'))
    atomic_write(
        osp.join(dst, 'SUBSET.md'),
        f'A subset of voc-mini (see SOURCE.md), written by tools/gpu_bundle.py: the first '
        f'{len(ids["train_aug"])} ids of train_aug.txt ({len(ids["train"])} of them in train.txt) '
        f'and the first {len(ids["val"])} of val.txt; irn_cls_labels.npy holds their labels.\n',
    )


def assemble(
    out: str,
    wheelhouse: str,
    data_root: str,
    n_train: int = 96,
    n_val: int = 48,
    cap_mib: float = CAP_MIB,
    repo: str = REPO,
) -> dict:
    """Assemble the check bundle ``out`` (wheels + voc-mini subset) inside the work tree.

    The size is planned from the sources before anything is written: work tree + wheels +
    data must stay under ``cap_mib``.

    Raises:
        BundleError: ``out`` not git-ignored, a wheel or data file missing, or over the cap.
    """
    out = osp.abspath(out)
    probe = osp.join(out, 'BUNDLE.json')  # a folder pattern matches what lies inside
    ignored = subprocess.run(['git', 'check-ignore', '-q', probe], cwd=repo).returncode == 0
    if not ignored:
        raise BundleError(f'{out} is not git-ignored: the bundle must not enter the history')
    manifest = read_manifest(wheelhouse)
    check_wheelhouse(wheelhouse, f'3.{manifest["python"][3:]}', manifest['torch'])
    voc = osp.join(data_root, 'VOCdevkit', 'VOC2012')
    ids = choose_ids(voc, n_train, n_val)
    rel = data_files(voc, ids)
    sizes = dict(
        tree=tree_bytes(repo),
        wheels=manifest['total_bytes'],
        data=sum(osp.getsize(osp.join(voc, r)) for r in rel) + 256 * 1024,  # lists, labels
    )
    total = sum(sizes.values())
    if total > cap_mib * MIB:
        parts = ' + '.join(f'{k} {v / MIB:.1f}' for k, v in sizes.items())
        raise BundleError(
            f'bundle too large: {parts} = {total / MIB:.1f} MiB > {cap_mib} MiB '
            '(fewer --train-images / --val-images)'
        )
    if osp.isdir(out):
        shutil.rmtree(out)
    wheels = osp.join(out, 'wheels')
    os.makedirs(wheels)
    for f in [e['file'] for e in manifest['files']] + [MANIFEST]:
        shutil.copy2(osp.join(wheelhouse, f), wheels)
    write_data_subset(data_root, osp.join(out, 'voc-mini'), ids, rel)
    sizes['data'] = sum(
        osp.getsize(osp.join(d, f)) for d, _, fs in os.walk(osp.join(out, 'voc-mini')) for f in fs
    )
    report = dict(
        out=out,
        images=dict(train_aug=len(ids['train_aug']), train=len(ids['train']), val=len(ids['val'])),
        mib={k: round(v / MIB, 2) for k, v in sizes.items()},
        total_mib=round(sum(sizes.values()) / MIB, 2),
        cap_mib=cap_mib,
    )
    atomic_write(osp.join(out, 'BUNDLE.json'), json.dumps(report, indent=1) + '\n')
    return report


def node_torch() -> str | None:
    """The torch version of this interpreter, from its metadata (torch is not imported)."""
    from importlib import metadata

    try:
        return metadata.version('torch')
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='cmd', required=True)
    w = sub.add_parser('wheelhouse', help='build the wheelhouse for a target Python / torch')
    w.add_argument('--out', required=True)
    c = sub.add_parser('check', help='on the node: the wheels to install, or why not')
    c.add_argument('--wheelhouse', required=True)
    c.add_argument('--verify-hashes', action='store_true')
    f = sub.add_parser('find-python', help='print an interpreter of --python X.Y')
    f.add_argument('--python', default='3.12')
    a = sub.add_parser('assemble', help='the GPU check bundle inside the work tree')
    a.add_argument('--out', default=osp.join(REPO, BUNDLE))
    a.add_argument('--wheelhouse', help='an existing wheelhouse (default: build one in OUT)')
    a.add_argument('--data-root', default=default_data_root(), help='the voc-mini folder')
    a.add_argument('--train-images', type=int, default=96)
    a.add_argument('--val-images', type=int, default=48)
    a.add_argument('--cap-mib', type=float, default=CAP_MIB)
    for p in (w, a):
        p.add_argument('--python', default='3.12')
        p.add_argument('--torch', default='2.11.0')
    args = parser.parse_args(argv)
    try:
        if args.cmd == 'wheelhouse':
            build_wheelhouse(args.out, args.python, args.torch)
        elif args.cmd == 'find-python':
            print(find_python(args.python))
        elif args.cmd == 'check':
            version = '.'.join(map(str, sys.version_info[:3]))
            paths = check_wheelhouse(args.wheelhouse, version, node_torch(), args.verify_hashes)
            print('\n'.join(paths))
        else:
            return assemble_cli(args)
    except BundleError as exc:
        print(f'[{args.cmd}] error: {exc}', file=sys.stderr)
        return 2
    return 0


def assemble_cli(args: argparse.Namespace) -> int:
    if not args.data_root or not osp.isdir(args.data_root):
        raise BundleError(f'no voc-mini folder {args.data_root!r}: give --data-root')
    wheelhouse = args.wheelhouse
    if wheelhouse is None:
        wheelhouse = osp.join(
            osp.expanduser('~/.cache/amr-wheels'),
            'wheelhouse',
            f'py{args.python}-torch{args.torch}',
        )
        build_wheelhouse(wheelhouse, args.python, args.torch)
    report = assemble(
        args.out, wheelhouse, args.data_root, args.train_images, args.val_images, args.cap_mib
    )
    print(json.dumps(report, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
