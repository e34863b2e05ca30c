"""IRN: path index, affinities, random walk, losses and one training iteration."""

import numpy as np
import pytest
import torch

from projects.amr.models.irn import IRNet, PathIndex, pair_affinity, random_walk, search_paths


def _line_path(dy, dx):
    """Grid points of the bounding box within one pixel of the segment (0,0)-(dy,dx)."""
    n = dy * dy + dx * dx
    return {
        (y, x)
        for y in range(min(0, dy), max(0, dy) + 1)
        for x in range(min(0, dx), max(0, dx) + 1)
        if (dy * x - dx * y) ** 2 / n < 1
    }


@pytest.mark.parametrize('radius,expected', [(2, 4), (5, 34), (10, 152)])
def test_path_index_counts(radius, expected):
    half_disc = [
        (y, x)
        for y in range(radius)
        for x in range(-radius + 1, radius)
        if (y > 0 or x > 0) and x * x + y * y < radius * radius
    ]
    pi = PathIndex(radius)
    assert pi.num_directions == len(half_disc) == expected
    assert sorted(map(tuple, pi.search_dst.tolist())) == sorted(half_disc)
    for path in search_paths(radius):
        assert set(path) == _line_path(*path[0]) and (0, 0) in path


def test_path_index_tables():
    pi, h, w = PathIndex(4), 11, 13
    paths, src, dst = pi.path_indices(h, w)
    rf = pi.radius_floor
    assert src.shape == ((h - rf) * (w - 2 * rf),)
    assert dst.shape == (pi.num_directions, src.size)
    sy, sx = np.divmod(src, w)
    dy, dx = np.divmod(dst, w)
    np.testing.assert_array_equal(
        np.stack([dy - sy, dx - sx], -1), np.broadcast_to(pi.search_dst[:, None], dst.shape + (2,))
    )
    assert sum(p.shape[0] for p in paths) == pi.num_directions


def test_affinity_from_hand_made_edge():
    edge = torch.zeros(1, 12, 14)
    edge[:, :, 7] = 1.0  # a vertical boundary
    pi = PathIndex(4)
    aff = pi.to_affinity(edge)[0]  # (n_dst, n_src)
    _, src, dst = pi.path_indices(12, 14)
    crosses = ((src % 14 <= 7) & (dst % 14 >= 7)) | ((src % 14 >= 7) & (dst % 14 <= 7))
    np.testing.assert_array_equal(aff.numpy(), np.where(crosses, 0.0, 1.0))
    # the random-walk pairs see the same rule, over the whole grid
    s, d, a = pair_affinity(edge[0], radius=4)
    c = ((s % 14 <= 7) & (d % 14 >= 7)) | ((s % 14 >= 7) & (d % 14 <= 7))
    assert torch.equal(a, torch.where(c, 0.0, 1.0))


def _dense_reference(x, edge, radius, beta, exp_times):
    """Brute force: all pairs, IRN's path rule, column-normalised, matrix power."""
    h, w = edge.shape
    n = h * w
    A = torch.eye(n, dtype=torch.float64)
    e = edge.double()
    for i in range(n):
        for j in range(n):
            (y0, x0), (y1, x1) = divmod(i, w), divmod(j, w)
            dy, dx = y1 - y0, x1 - x0
            if i == j or dy * dy + dx * dx >= radius * radius:
                continue
            A[i, j] = 1 - max(e[y0 + py, x0 + px] for py, px in _line_path(dy, dx))
    A = A**beta
    T = A / A.sum(0, keepdim=True)
    T = torch.linalg.matrix_power(T, 2**exp_times)
    return ((x.double() * (1 - e)).reshape(x.shape[0], -1) @ T).reshape(x.shape)


@pytest.mark.parametrize('method', ['sparse', 'dense'])
def test_random_walk_matches_dense_reference(method):
    g = torch.Generator().manual_seed(0)
    edge = torch.rand(7, 8, generator=g) * 0.6
    edge[:, 4] = 0.95
    x = torch.rand(2, 7, 8, generator=g)
    ref = _dense_reference(x, edge, radius=3, beta=10, exp_times=4)
    out = random_walk(x, edge, radius=3, beta=10, exp_times=4, method=method)
    torch.testing.assert_close(out.double(), ref, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize('edge_shape', [(9, 10), (5, 6)])
def test_make_sem_seg_label_matches_pixel_loop(edge_shape):
    """The random-walk mask = walk, x4 bilinear, crop, max-normalise, then per pixel the top
    class's id where its score is strictly above the background score (else 0)."""
    import torch.nn.functional as F

    from projects.amr.irn import RandomWalkSettings, make_sem_seg_label

    g = torch.Generator().manual_seed(0)
    H, W, h, w = 26, 30, 7, 8
    cams = torch.rand(2, h, w, generator=g)
    edge = torch.rand(*edge_shape, generator=g) * 0.8
    keys = np.array([4, 11])
    s = RandomWalkSettings(beta=10, exp_times=3, radius=3, cam_power=1.5, bg_threshold=0.3)
    out = make_sem_seg_label(cams.numpy(), keys, edge, (H, W), s)
    if edge_shape[0] >= h:
        e = edge[:h, :w]
    else:
        e = F.interpolate(edge[None, None], size=(h, w), mode='bilinear', align_corners=False)[0, 0]
    rw = random_walk(cams**1.5, e, radius=3, beta=10, exp_times=3, method='sparse')
    up = F.interpolate(rw[None], scale_factor=4, mode='bilinear', align_corners=False)[0, :, :H, :W]
    up = (up / up.max()).numpy()
    expected = np.zeros((H, W), np.uint8)
    for y in range(H):
        for x in range(W):
            k = int(np.argmax(up[:, y, x]))
            expected[y, x] = keys[k] + 1 if up[k, y, x] > 0.3 else 0
    assert out.dtype == np.uint8 and out.shape == (H, W)
    assert set(np.unique(expected)) == {0, 5, 12}
    np.testing.assert_array_equal(out, expected)
    empty = make_sem_seg_label(np.zeros((0, h, w), np.float32), [], edge, (H, W), s)
    assert empty.shape == (H, W) and not empty.any()


@pytest.mark.parametrize(
    'bad', [dict(method='fast'), dict(exp_times=-1), dict(radius=0), dict(beta='10')]
)
def test_random_walk_settings_reject_bad_values(bad):
    from projects.amr.irn import RandomWalkSettings

    with pytest.raises(ValueError, match=next(iter(bad))):
        RandomWalkSettings(**bad)


def test_pair_labels_and_losses():
    pi = PathIndex(3)
    label = torch.zeros(1, 6, 8, dtype=torch.long)
    label[0, :, 4:] = 1
    label[0, 0, 0] = 255
    bg, fg, neg = pi.to_pair_labels(label)
    assert ((bg + fg + neg) <= 1).all()
    _, src, dst = pi.path_indices(6, 8)
    ls, ld = label.view(-1)[torch.from_numpy(src)], label.view(-1)[torch.from_numpy(dst)]
    valid = (ls < 21) & (ld < 21)
    assert torch.equal(neg[0].bool(), valid & (ls != ld))
    assert torch.equal(fg[0].bool(), valid & (ls == ld) & (ls > 0))


def _tiny_irnet(radius=5):
    return IRNet(
        backbone=dict(type='EfficientNetLite', out_indices=(0, 1, 2, 3), pretrained=False),
        in_channels=(24, 40, 112, 1280),
        strides=(4, 8, 16, 16),
        dp_channels=(16, 32, 32, 32),
        dp_mid_channels=32,
        radius=radius,
    )


def test_irnet_frozen_backbone_and_loss_gradients():
    torch.manual_seed(0)
    model = _tiny_irnet()
    model.train()
    assert not model.backbone.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    from mmpretrain.structures import DataSample

    samples = []
    for _ in range(2):
        s = DataSample()
        lab = torch.zeros(16, 16, dtype=torch.uint8)
        lab[4:12, 4:12] = 3
        lab[0] = 255
        s.set_field(lab, 'ir_label', field_type='data')
        samples.append(s)
    losses = model(torch.randn(2, 3, 64, 64), samples, mode='loss')
    assert set(losses) == {
        'loss_aff_bg_pos',
        'loss_aff_fg_pos',
        'loss_aff_neg',
        'loss_dp_fg',
        'loss_dp_bg',
    }
    sum(losses.values()).backward()
    assert model.edge_branch.fuse.weight.grad is not None
    assert model.dp_branch.head[0].weight.grad is not None
    edge = model.edge_map(torch.randn(1, 3, 50, 70))
    assert edge.shape == (13, 18) and float(edge.min()) >= 0 and float(edge.max()) <= 1
