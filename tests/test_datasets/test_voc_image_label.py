"""VOCImageLabelDataset on the real voc-mini images and on the demo set; label sources."""

import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from projects.amr.datasets import VOCImageLabelDataset
from projects.amr.datasets.voc_image_label import (
    irn_key,
    labels_from_mask,
    load_irn_cls_labels,
    read_id_list,
)
from tests.conftest import VOC_MINI_LABELS

SEG = 'ImageSets/Segmentation'

# ids of voc-mini's train_aug list whose XML-derived labels (IRN's cls_labels.npy) name classes
# that the segmentation mask does not contain (objects left unlabelled in the SBD/VOC masks),
# with the classes only in the npy labels (0-based). The mask labels never add a class.
KNOWN_NPY_MINUS_MASK = {
    '2008_000196': [4],
    '2008_001862': [4, 14],
    '2008_007567': [4],
    '2008_007664': [8, 10, 14],
    '2010_000001': [8],
    '2010_002168': [6],
    '2010_005628': [8],
    '2010_005853': [8],
    '2010_005938': [8],
    '2011_001547': [8],
    '2011_001900': [14],
    '2011_002147': [8],
}


def build(
    root,
    ann='train_aug',
    source='npy',
    label_file=VOC_MINI_LABELS,
    seg='SegmentationClassAug',
    **kwargs,
):
    return VOCImageLabelDataset(
        data_root=root,
        ann_file=f'{SEG}/{ann}.txt',
        label_source=source,
        label_file=label_file,
        data_prefix=dict(seg_map_path=seg),
        pipeline=[],
        **kwargs,
    )


def test_voc_mini_npy_labels(voc_mini_root):
    ds = build(voc_mini_root)
    assert len(ds) == 320
    info = ds.get_data_info(0)
    assert osp.isfile(info['img_path']) and osp.isfile(info['seg_map_path'])
    npy = load_irn_cls_labels(VOC_MINI_LABELS)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        expected = np.flatnonzero(npy[irn_key(info['img_id'])])
        np.testing.assert_array_equal(info['gt_label'], expected)
    val = build(voc_mini_root, 'val', seg='SegmentationClass')
    assert len(val) == 180 and all(val.get_data_info(i)['seg_map_path'] for i in range(180))


def test_label_sources_agree_except_known(voc_mini_root):
    npy = build(voc_mini_root)
    mask = build(voc_mini_root, source='mask')
    assert npy.img_ids == mask.img_ids
    diffs = {}
    for i in range(len(npy)):
        a = set(npy.get_data_info(i)['gt_label'].tolist())
        b = set(mask.get_data_info(i)['gt_label'].tolist())
        assert b <= a, f'{npy.img_ids[i]}: mask has classes the XML labels lack'
        if a != b:
            diffs[npy.img_ids[i]] = sorted(a - b)
    assert diffs == KNOWN_NPY_MINUS_MASK
    val_npy = build(voc_mini_root, 'val', seg='SegmentationClass')
    val_mask = build(voc_mini_root, 'val', source='mask', seg='SegmentationClass')
    for i in range(len(val_npy)):
        np.testing.assert_array_equal(
            val_npy.get_data_info(i)['gt_label'], val_mask.get_data_info(i)['gt_label']
        )


def test_xml_labels_include_difficult(tmp_path, demo_root):
    root = str(tmp_path / 'VOC2012')
    shutil.copytree(demo_root, root)
    os.makedirs(osp.join(root, 'Annotations'))
    ids = read_id_list(osp.join(root, SEG, 'train.txt'))
    for img_id in ids:
        objs = ''.join(
            f'<object><name>{n}</name><difficult>{d}</difficult>'
            f'<part><name>head</name></part></object>'
            for n, d in (('dog', 0), ('person', 1))
        )
        with open(osp.join(root, 'Annotations', img_id + '.xml'), 'w') as f:
            f.write(f'<annotation>{objs}</annotation>')
    ds = build(root, 'train', source='xml', seg='SegmentationClass')
    assert len(ds) == len(ids)
    for i in range(len(ds)):
        assert ds.get_data_info(i)['gt_label'].tolist() == [11, 14]


def test_demo_labels_match_masks(demo_root):
    npy = build(demo_root, 'train', label_file='cls_labels.npy', seg='SegmentationClass')
    for i in range(len(npy)):
        info = npy.get_data_info(i)
        np.testing.assert_array_equal(info['gt_label'], labels_from_mask(info['seg_map_path']))


def test_demo_is_deterministic(tmp_path):
    from projects.amr.datasets.demo import make_demo_voc

    a = make_demo_voc(str(tmp_path / 'a'), 3, 1, seed=5)
    b = make_demo_voc(str(tmp_path / 'b'), 3, 1, seed=5)
    for sub in ('JPEGImages', 'SegmentationClass'):
        for name in sorted(os.listdir(osp.join(a, sub))):
            with open(osp.join(a, sub, name), 'rb') as fa, open(osp.join(b, sub, name), 'rb') as fb:
                assert fa.read() == fb.read(), name


# ---------------------------------------------------------------- bad input
@pytest.fixture
def demo_copy(tmp_path, demo_root):
    root = str(tmp_path / 'VOC2012')
    shutil.copytree(demo_root, root)
    return root


def test_missing_list(demo_copy):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        build(demo_copy, 'nope', label_file='cls_labels.npy')


def test_missing_label_file(demo_copy):
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        build(demo_copy, 'train', label_file='missing.npy')


def test_corrupt_label_file(demo_copy):
    with open(osp.join(demo_copy, 'bad.npy'), 'wb') as f:
        f.write(b'not numpy')
    with pytest.raises(ValueError, match='bad.npy'):
        build(demo_copy, 'train', label_file='bad.npy')


def test_missing_image_raises_or_skips(demo_copy):
    ids = read_id_list(osp.join(demo_copy, SEG, 'train.txt'))
    os.remove(osp.join(demo_copy, 'JPEGImages', ids[2] + '.jpg'))
    with pytest.raises(ValueError, match=f'image not found: .*{ids[2]}.jpg'):
        build(demo_copy, 'train', label_file='cls_labels.npy')
    ds = build(demo_copy, 'train', label_file='cls_labels.npy', on_error='skip')
    assert len(ds) == len(ids) - 1 and list(ds.skipped) == [ids[2]]


def test_mask_with_bad_ids(demo_copy):
    ids = read_id_list(osp.join(demo_copy, SEG, 'train.txt'))
    path = osp.join(demo_copy, 'SegmentationClass', ids[0] + '.png')
    mask = np.asarray(Image.open(path)).copy()
    mask[0, 0] = 37
    Image.fromarray(mask).save(path)
    with pytest.raises(ValueError, match=rf'{ids[0]}.png: class ids \[37\]'):
        build(demo_copy, 'train', source='mask', seg='SegmentationClass')
    ds = build(demo_copy, 'train', source='mask', seg='SegmentationClass', on_error='skip')
    assert ids[0] in ds.skipped and len(ds) == len(ids) - 1


def test_id_without_foreground_label(demo_copy):
    ids = read_id_list(osp.join(demo_copy, SEG, 'train.txt'))
    labels = load_irn_cls_labels(osp.join(demo_copy, 'cls_labels.npy'))
    labels[irn_key(ids[1])][:] = 0
    np.save(osp.join(demo_copy, 'cls_labels.npy'), labels, allow_pickle=True)
    with pytest.raises(ValueError, match=f'no foreground label for {ids[1]}'):
        build(demo_copy, 'train', label_file='cls_labels.npy')
    ds = build(demo_copy, 'train', label_file='cls_labels.npy', on_error='skip')
    assert list(ds.skipped) == [ids[1]]


def test_id_missing_from_label_file(demo_copy):
    ids = read_id_list(osp.join(demo_copy, SEG, 'train.txt'))
    labels = load_irn_cls_labels(osp.join(demo_copy, 'cls_labels.npy'))
    del labels[irn_key(ids[3])]
    np.save(osp.join(demo_copy, 'cls_labels.npy'), labels, allow_pickle=True)
    with pytest.raises(ValueError, match=f'id {ids[3]} has no entry'):
        build(demo_copy, 'train', label_file='cls_labels.npy')


def test_corrupt_image_names_file(demo_copy):
    ids = read_id_list(osp.join(demo_copy, SEG, 'train.txt'))
    path = osp.join(demo_copy, 'JPEGImages', ids[0] + '.jpg')
    with open(path, 'wb') as f:
        f.write(b'\xff\xd8 truncated')
    ds = VOCImageLabelDataset(
        data_root=demo_copy,
        ann_file=f'{SEG}/train.txt',
        label_file='cls_labels.npy',
        pipeline=[dict(type='LoadImageFromFile')],
        test_mode=True,
    )
    with pytest.raises(Exception, match=ids[0]):
        ds[0]


def test_label_file_beside_a_linked_vocdevkit(tmp_path, voc_mini_root):
    """``data/VOCdevkit`` a link to another disk, labels in ``data/extras``: the mmseg layout.

    ``label_file='../../extras/...'`` must be found as ``data/extras/...`` (the path as
    written), not from the link's target, where no ``extras`` folder exists.
    """
    disk = tmp_path / 'other_disk' / 'VOCdevkit' / 'VOC2012'
    disk.mkdir(parents=True)
    for entry in os.listdir(voc_mini_root):  # the real voc-mini folders, reached by links
        (disk / entry).symlink_to(osp.join(voc_mini_root, entry))
    data = tmp_path / 'data'
    (data / 'extras').mkdir(parents=True)
    (data / 'extras' / 'irn_cls_labels.npy').symlink_to(VOC_MINI_LABELS)
    (data / 'VOCdevkit').symlink_to(tmp_path / 'other_disk' / 'VOCdevkit')
    root = str(data / 'VOCdevkit' / 'VOC2012')
    label_file = '../../extras/irn_cls_labels.npy'
    # the operating system resolves `..` from the link's target: the unnormalised path is absent
    assert not osp.isfile(osp.join(root, label_file))

    linked = build(root, 'train', label_file=label_file, seg='SegmentationClass')
    direct = build(voc_mini_root, 'train', seg='SegmentationClass')
    assert linked.label_path == str(data / 'extras' / 'irn_cls_labels.npy')
    assert linked.img_ids == direct.img_ids and len(linked) == 170
    for i in (0, len(linked) - 1):
        assert linked.get_data_info(i)['gt_label'].tolist() == (
            direct.get_data_info(i)['gt_label'].tolist()
        )
        assert osp.isfile(linked.get_data_info(i)['img_path'])


def test_missing_label_file_names_the_resolved_path(demo_copy):
    resolved = osp.join(osp.dirname(demo_copy), 'extras', 'none.npy')
    with pytest.raises(FileNotFoundError) as err:
        build(demo_copy, 'train', label_file='../extras/none.npy')
    assert str(err.value).endswith(resolved)
