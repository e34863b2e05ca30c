from .wsss_transforms import IMAGENET_MEAN_BGR, MultiHoleCutout, RandomCropPad, RandomLongSideResize

__all__ = ['IMAGENET_MEAN_BGR', 'MultiHoleCutout', 'RandomCropPad', 'RandomLongSideResize']
