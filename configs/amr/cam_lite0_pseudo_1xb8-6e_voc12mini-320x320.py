# Stage 1 on CPU plus pseudo labels (`pseudo`): the plain CAM classifier of
# cam_lite0_1xb8-6e_voc12mini-320x320.py, and after training the pseudo labels of
# configs/_base_/pseudo_labels/plain_cam_7s.py for the train_aug ids (320 on voc-mini), scored
# on the train ids (170). Also the config tools/make_cam.py reads the CAM settings from for a
# plain CAM checkpoint.
_base_ = ['./cam_lite0_1xb8-6e_voc12mini-320x320.py', '../_base_/pseudo_labels/plain_cam_7s.py']
