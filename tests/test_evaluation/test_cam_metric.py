"""CAMMetric and the confusion helpers: hand-computed counts and mmseg's IoUMetric."""

import numpy as np
import pytest
import torch

from projects.amr.cam.seed import seed_label
from projects.amr.evaluation import CAMMetric, confusion_matrix, iou_from_confusion


def test_confusion_matrix_by_hand():
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [2, 2, 0]])
    conf = confusion_matrix(pred, gt, num_classes=3)
    expected = np.array(
        [
            [1, 1, 0],  # gt 0: pred 0, pred 1
            [0, 1, 1],  # gt 1: pred 1, pred 2
            [0, 0, 1],
        ]
    )  # gt 2: pred 2; the 255 pixel is ignored
    assert conf.dtype == np.int64
    np.testing.assert_array_equal(conf, expected)
    res = iou_from_confusion(conf)
    np.testing.assert_allclose(res['iou'], [1 / 2, 1 / 3, 1 / 2])
    assert res['miou'] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    # fp + fn = 1 - IoU per class
    np.testing.assert_allclose(res['fp'] + res['fn'], 1 - res['iou'])
    np.testing.assert_allclose(res['fp'], [0, 1 / 3, 1 / 2])


def test_absent_class_is_nan_and_not_averaged():
    conf = confusion_matrix(np.array([0, 1]), np.array([0, 1]), num_classes=4)
    res = iou_from_confusion(conf)
    assert np.isnan(res['iou'][2:]).all()
    assert res['miou'] == 1.0


def test_confusion_rejects_bad_ids():
    with pytest.raises(ValueError):
        confusion_matrix(np.array([5]), np.array([0]), num_classes=3)
    with pytest.raises(ValueError):
        confusion_matrix(np.array([0, 1]), np.array([0]), num_classes=3)


def test_cams_to_label_numpy_and_torch():
    cams = np.array([[[0.1, 0.9]], [[0.5, 0.2]]], dtype=np.float32)  # (2, 1, 2)
    keys = [4, 11]
    lab = seed_label(cams, keys, 0.3)
    np.testing.assert_array_equal(lab, [[12, 5]])
    np.testing.assert_array_equal(seed_label(cams, keys, 0.95), [[0, 0]])
    lab_t = seed_label(torch.from_numpy(cams), keys, 0.3)
    np.testing.assert_array_equal(lab_t.numpy(), [[12, 5]])


def _random_case(rng, h=13, w=17):
    keys = np.sort(rng.choice(20, size=rng.integers(1, 4), replace=False))
    cams = rng.random((keys.size, h, w)).astype(np.float32)
    gt = rng.choice(np.concatenate([[0, 255], keys + 1]), size=(h, w)).astype(np.uint8)
    return keys, cams, gt


def test_sweep_matches_per_threshold_hand_count():
    rng = np.random.default_rng(0)
    cases = [_random_case(rng) for _ in range(5)]
    thresholds = (0.1, 0.3, 0.5, 0.7)
    metric = CAMMetric(bg_threshold=0.3, thresholds=thresholds)
    for keys, cams, gt in cases:
        metric.process(None, [dict(keys=keys, high_res=cams, gt_seg_map=gt)])
    res = metric.evaluate(len(cases))
    details = metric.details
    for i, t in enumerate(details['thresholds']):
        conf = sum(confusion_matrix(seed_label(c, k, t), g) for k, c, g in cases)
        miou = iou_from_confusion(conf)['miou'] * 100
        assert details['miou'][i] == pytest.approx(miou, abs=0.006)
    assert res['cam/mIoU'] == details['miou'][details['thresholds'].index(0.3)]
    best = int(np.nanargmax(details['miou']))
    assert res['cam/best_mIoU_gt_selected'] == details['miou'][best]
    assert res['cam/best_bg_threshold_gt_selected'] == details['thresholds'][best]


def test_configured_threshold_added_to_sweep():
    metric = CAMMetric(bg_threshold=0.22, thresholds=(0.1, 0.5))
    assert metric.thresholds == (0.1, 0.22, 0.5)
    assert CAMMetric().thresholds[0] == 0.05 and len(CAMMetric().thresholds) == 19


def test_against_mmseg_iou_metric():
    from mmengine.structures import PixelData
    from mmseg.evaluation import IoUMetric
    from mmseg.structures import SegDataSample

    from projects.amr.evaluation import seg_class_names

    rng = np.random.default_rng(1)
    cases = [_random_case(rng, 21, 19) for _ in range(6)]
    thr = 0.4
    ours = CAMMetric(bg_threshold=thr, thresholds=(thr,))
    ref = IoUMetric(iou_metrics=['mIoU'])
    ref.dataset_meta = dict(classes=seg_class_names())
    for keys, cams, gt in cases:
        ours.process(None, [dict(keys=keys, high_res=cams, gt_seg_map=gt)])
        sample = SegDataSample()
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(seed_label(cams, keys, thr))[None])
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.int64))[None])
        ref.process(None, [sample.to_dict()])
    r_ours = ours.evaluate(len(cases))
    r_ref = ref.evaluate(len(cases))
    assert r_ours['cam/mIoU'] == pytest.approx(r_ref['mIoU'], abs=0.01)

    # ready label maps (PNG seeds) give the same number
    labels = CAMMetric(bg_threshold=thr)
    for keys, cams, gt in cases:
        labels.process(None, [dict(pred_label=seed_label(cams, keys, thr), gt_seg_map=gt)])
    assert labels.evaluate(len(cases))['cam/mIoU'] == r_ours['cam/mIoU']


def test_class_names_from_the_dataset_metainfo():
    """The mask classes come from the dataset's metainfo (background first), given or through
    the evaluator's ``dataset_meta``; their number sets the confusion size."""
    from projects.amr.evaluation import seg_class_names

    meta = dict(classes=('cat', 'dog'))
    assert seg_class_names(meta) == ('background', 'cat', 'dog')
    assert seg_class_names(dict(classes=('background', 'cat'))) == ('background', 'cat')
    assert len(seg_class_names()) == 21  # the VOC dataset's
    with pytest.raises(ValueError, match='without classes'):
        seg_class_names(dict(classes=()))
    gt = np.array([[0, 1], [2, 2]])
    cams = np.array([[[0.1, 0.9], [0.1, 0.1]], [[0.1, 0.1], [0.8, 0.8]]], np.float32)
    for metric in (CAMMetric(class_names=seg_class_names(meta)), CAMMetric()):
        if metric.num_classes == 21:
            metric.dataset_meta = meta
        metric.process(None, [dict(keys=[0, 1], high_res=cams, gt_seg_map=gt)])
        metric.evaluate(1)
        assert metric.num_classes == 3 and metric.details['class_names'] == list(
            seg_class_names(meta)
        )
        assert len(metric.details['iou'][0]) == 3
    with pytest.raises(ValueError, match='3 class names for num_classes=21'):
        CAMMetric(class_names=seg_class_names(meta), num_classes=21)
