from .crf_encoder_decoder import CRFEncoderDecoder
from .dense_crf import dense_crf

__all__ = ['CRFEncoderDecoder', 'dense_crf']
