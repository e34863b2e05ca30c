"""Convert the authors' released AMR network state dict into :class:`AMRClassifier`'s.

The released ``net/resnet50_amr.py`` ``Net`` registers the same tensors under several names
(``reference/official-amr-state-dict-keys.txt``): the primary ones (``resnet50.*``,
``resnet50_2.*``, ``classifier.weight``, ``classifier2.weight``) and aliases through its
``stage*``/``stage2_*`` sequentials, the ``backbone``/``backbone2`` module lists and
``newly_added``. Aliases are not converted twice: each is checked to hold the same values as
its primary key (or used instead of a missing primary key).
"""

import re
from collections.abc import Mapping
from typing import Optional

import torch

# Official primary prefix -> AMRClassifier prefix.
PRIMARY_PREFIXES = (
    ('resnet50_2.', 'compensation_backbone.'),
    ('resnet50.', 'spotlight_backbone.'),
    ('classifier2.', 'compensation_head.classifier.'),
    ('classifier.', 'spotlight_head.classifier.'),
)
# Official AMM sub-module names -> ours (projects/amr/models/plugins/amm.py).
AMM_RENAMES = (
    ('.amm.ChannelAMM.mlp.1.', '.amm.channel_amm.mlp.0.'),
    ('.amm.ChannelAMM.mlp.3.', '.amm.channel_amm.mlp.2.'),
    ('.amm.SpatialAMM.spatial.conv.', '.amm.spatial_amm.conv.'),
    ('.amm.SpatialAMM.spatial.bn.', '.amm.spatial_amm.bn.'),
)
# stage1 = Sequential(conv1, bn1, relu, maxpool, layer1); stageK = Sequential(layerK).
STAGE1_CHILDREN = {'0': 'conv1', '1': 'bn1', '4': 'layer1'}


def official_alias_target(key: str) -> Optional[str]:
    """The primary official key an alias key refers to; ``None`` if ``key`` is no alias.

    Args:
        key (str): An official state-dict key.

    Returns:
        str, optional: E.g. ``'resnet50_2.layer3.1.conv2.weight'`` for
        ``'backbone2.2.0.1.conv2.weight'``.
    """
    m = re.match(r'^(backbone2?)\.(\d)\.(.*)$', key)
    if m:  # backbone = ModuleList(stage1..4), backbone2 = ModuleList(stage2_1..4)
        name = 'stage' if m.group(1) == 'backbone' else 'stage2_'
        key = f'{name}{int(m.group(2)) + 1}.{m.group(3)}'
    m = re.match(r'^newly_added\.([01])\.(.*)$', key)
    if m:
        return ('classifier.' if m.group(1) == '0' else 'classifier2.') + m.group(2)
    m = re.match(r'^stage(2_)?([1-4])\.(\d+)\.(.*)$', key)
    if not m:
        return None
    net = 'resnet50_2' if m.group(1) else 'resnet50'
    stage, child, rest = m.group(2), m.group(3), m.group(4)
    if stage == '1':
        if child not in STAGE1_CHILDREN:
            return None
        return f'{net}.{STAGE1_CHILDREN[child]}.{rest}'
    if child != '0':
        return None
    return f'{net}.layer{stage}.{rest}'


def official_to_target_key(key: str) -> Optional[str]:
    """Map a primary official key to its :class:`AMRClassifier` key (``None``: unknown)."""
    for src, dst in PRIMARY_PREFIXES:
        if key.startswith(src):
            new = dst + key[len(src) :]
            for old, rep in AMM_RENAMES:
                new = new.replace(old, rep)
            return new
    return None


def convert_official_amr(
    src: Mapping[str, torch.Tensor],
    template: Mapping[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, list]]:
    """Convert a released AMR state dict into an :class:`AMRClassifier` state dict.

    Checks: every alias equals its primary tensor; every target tensor of ``template`` is
    filled exactly once, with the template's shape. Source keys that are not recognised or
    map to a key the template lacks are reported as unused, not fatal.

    Args:
        src (Mapping[str, Tensor]): The released state dict (``module.`` prefixes allowed).
        template (Mapping[str, Tensor]): ``AMRClassifier(...).state_dict()`` of the target
            architecture (ResNet-50 branches at output stride 16 with AMM plug-ins).

    Returns:
        tuple[dict, dict]: The converted state dict (tensors cloned, in template order) and a
        report ``dict(unused=[...], aliases=[...])`` of the skipped source keys and the
        verified aliases.
    """
    src = {(k[len('module.') :] if k.startswith('module.') else k): v for k, v in src.items()}
    primaries, aliases, unused = {}, {}, []
    for key, value in src.items():
        target = official_alias_target(key)
        if target is not None:
            aliases[key] = target
        elif official_to_target_key(key) is not None:
            primaries[key] = value
        else:
            unused.append(key)
    for alias, primary in aliases.items():
        if primary in primaries:
            a, p = src[alias], primaries[primary]
            if a.shape != p.shape or not torch.equal(a, p):
                raise ValueError(f'alias {alias} differs from {primary}')
        elif official_to_target_key(primary) is not None:
            primaries[primary] = src[alias]  # the primary key is missing: use its alias
        else:
            unused.append(alias)

    filled: dict[str, str] = {}
    out: dict[str, torch.Tensor] = {}
    errors = []
    for key, value in primaries.items():
        target = official_to_target_key(key)
        if target not in template:
            unused.append(key)  # e.g. a torchvision ``fc`` the target has no use for
        elif target in filled:
            errors.append(f'{target} filled twice (from {filled[target]} and {key})')
        elif tuple(template[target].shape) != tuple(value.shape):
            errors.append(
                f'{key} -> {target}: shape {tuple(value.shape)} != {tuple(template[target].shape)}'
            )
        else:
            filled[target] = key
            out[target] = value.detach().clone().to(template[target].dtype)
    missing = [k for k in template if k not in filled]
    if missing:
        errors.append(f'{len(missing)} target tensors not filled: {missing[:10]}')
    if errors:
        raise ValueError('AMR conversion failed:\n  ' + '\n  '.join(errors))
    return {k: out[k] for k in template}, dict(unused=sorted(unused), aliases=sorted(aliases))
