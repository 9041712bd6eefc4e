"""Face recognition on normal maps (MNI-GAIR's DGPA-Net): inputs, training with
ArcFace, embedding, and pair scoring; and on real photos (high-dimensional LBP, SIFT and Gabor descriptors).
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
from facecli.recognition.hdface import AlignedFace, aligned_face
from facecli.recognition.hdgabor import hd_gabor, hd_gabor_face
from facecli.recognition.hdlbp import hd_lbp, hd_lbp_codes, hd_lbp_face
from facecli.recognition.hdparts import HD_PARTS, describe
from facecli.recognition.hdprojection import HDProjection, fit_block_pca, fit_hd_projection
from facecli.recognition.hdsift import hd_sift, hd_sift_codes, hd_sift_face
from facecli.recognition.photos import DEFAULT_HD, PhotoEmbedJob, choose_face, load_hd_projection
from facecli.recognition.training import FaceDataset, GridAttnTrainOptions, all_pairs_eer, embed_array, train_dgpa
from facecli.recognition.verify import PairScores, match_ids, read_poses, read_scores, score_pairs, write_scores

__all__ = [
    "DEFAULT_DGPA",
    "DEFAULT_HD",
    "HD_PARTS",
    "AlignedFace",
    "HDProjection",
    "PhotoEmbedJob",
    "aligned_face",
    "choose_face",
    "fit_block_pca",
    "fit_hd_projection",
    "hd_gabor",
    "hd_gabor_face",
    "hd_lbp",
    "hd_lbp_codes",
    "hd_lbp_face",
    "hd_sift",
    "hd_sift_codes",
    "hd_sift_face",
    "load_hd_projection",
    "describe",
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
