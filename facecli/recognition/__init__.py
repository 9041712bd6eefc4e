"""Face recognition on normal maps (MNI-GAIR's DGPA-Net): inputs, training with
ArcFace, embedding, and pair scoring; and on real photos (the high-dimensional LBP).
Importing this package does not import torch."""

from facecli.recognition.data import (
    INPUT_GROUPS,
    FaceInputs,
    flip_inputs,
    identity_labels,
    load_face_inputs,
    parse_inputs,
    read_labels,
)
from facecli.recognition.embed import DEFAULT_DGPA, LoadedDGPA, embed_file, load_dgpa
from facecli.recognition.hdlbp import HDLBPProjection, fit_hdlbp_projection, hd_lbp, hd_lbp_codes
from facecli.recognition.photos import DEFAULT_HDLBP, PhotoEmbedJob, choose_face, load_hdlbp
from facecli.recognition.training import FaceDataset, GridAttnTrainOptions, all_pairs_eer, embed_array, train_dgpa
from facecli.recognition.verify import PairScores, match_ids, read_poses, read_scores, score_pairs, write_scores

__all__ = [
    "DEFAULT_DGPA",
    "DEFAULT_HDLBP",
    "HDLBPProjection",
    "PhotoEmbedJob",
    "choose_face",
    "fit_hdlbp_projection",
    "hd_lbp",
    "hd_lbp_codes",
    "load_hdlbp",
    "INPUT_GROUPS",
    "FaceDataset",
    "FaceInputs",
    "GridAttnTrainOptions",
    "LoadedDGPA",
    "PairScores",
    "all_pairs_eer",
    "embed_array",
    "embed_file",
    "flip_inputs",
    "identity_labels",
    "load_dgpa",
    "load_face_inputs",
    "match_ids",
    "parse_inputs",
    "read_labels",
    "read_poses",
    "read_scores",
    "score_pairs",
    "train_dgpa",
    "write_scores",
]
