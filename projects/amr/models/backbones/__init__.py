from .efficientnet_lite import EfficientNetLite, lite0_weights_path

__all__ = ['EfficientNetLite', 'lite0_weights_path']
