"""Lecture 5: from a flat MLP to a WaveNet-style hierarchy, trained live, with the lecture's performance log."""
import streamlit as st

from makemore.lessons.wavenet import bug_matters, describe_groups, level_groups
from makemore.models import ConfigError, WaveNetConfig
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui.export import export_menu
from ui.lesson import Choice, choice_row
from ui.live import live_run
from ui.panels.class_board import share_live_run
from ui.panels import wavenet as panel
from ui.presentation import controls_area
from ui.runnable import live_section
from ui.sidebar import page_end, page_setup
from ui.state import persistent_widget
from ui.tours import wavenet_tour
from ui.walkthrough import walkthrough

P = "wavenet"
STATE = "wavenet_run"
PAGE = "WaveNet"
LECTURE = PRESETS["wavenet"]
CHOICES = [
    Choice("block_size", LECTURE.model.block_size, "Context (block size)", (3, 4, 8, 16),
           "How many previous characters the net reads. Part 2's MLP read 3; going to 8 was the lecture's first "
           "win.", story=True),
    Choice("levels", len(LECTURE.model.groups), "Levels (FlattenConsecutive)", (1, 2, 3, 4),
           "1 is the flat MLP: all characters squashed into one layer at once. More levels fuse neighbours little "
           "by little (2 characters, then 2 pairs, ...), the way a WaveNet's dilated convolutions do.", story=True),
    Choice("n_embd", LECTURE.model.n_embd, "Embedding size", (4, 8, 10, 16, 24, 32),
           "Numbers per character. The lecture used 10, then 24 when it scaled the network up."),
    Choice("n_hidden", LECTURE.model.n_hidden, "Hidden size", (32, 64, 68, 100, 128, 200, 256),
           "Neurons per level. 68 gave the 3-level hierarchy the flat net's 22K parameters (a fair comparison); "
           "128 is the scaled-up net."),
    Choice("steps", LECTURE.train.steps, "Steps", (1_000, 5_000, 20_000, 50_000, 100_000, 200_000),
           "Length of training; the learning rate drops from 0.1 to 0.01 at three quarters, as the lecture's "
           "does at 150,000 of 200,000."),
]

settings = page_setup("WaveNet")
data = settings.data
st.title("Part 5 · Building a WaveNet")
st.write("Part 2's MLP squashes its whole context into one hidden layer in a single step. Give it more context "
         "and it has to crush even more information at once. The lecture's fix, after DeepMind's WaveNet: fuse two "
         "neighbouring characters, then two neighbouring pairs, then two neighbouring quadruples, each step a "
         "small layer of its own. `FlattenConsecutive(n)` is the layer that groups n neighbours.")
walkthrough(P, wavenet_tour())

# ------------------------------------------------------------------------------------------ controls
with controls_area():
    chosen = choice_row(P, CHOICES)
    bn_bug = persistent_widget(
        st.toggle, f"{P}_bn_bug", False, param="bug", label="The lecture's BatchNorm bug (averages over dim 0 only)",
        help="For 3-D input (batch, positions, channels) the lecture's BatchNorm first averaged over the batch "
             "only, so it kept separate statistics for every position, each from 32 numbers instead of 32 × "
             "positions. It trains without complaint: only the running statistics' shape gives it away.")
    panel.lecture_log_buttons(P)
block_size, steps = chosen["block_size"], chosen["steps"]
try:
    groups = level_groups(block_size, chosen["levels"])
except ConfigError as err:
    st.error(f"This network cannot be built: {err}", icon=":material/error:")
    page_end()
    st.stop()
config = WaveNetConfig(vocab_size=data.vocab.size, block_size=block_size, n_embd=chosen["n_embd"],
                       n_hidden=chosen["n_hidden"], groups=groups, bn_dim0_bug=bn_bug)
train = TrainConfig(steps=steps, batch_size=LECTURE.train.batch_size, lr=LECTURE.train.lr,
                    lr_decay_at=steps * 3 // 4, stats_every=0)

st.header("The network, layer by layer")
panel.layer_section(config)
panel.matmul_section(config, P)

st.header("Training")
label = (f"WaveNet · context {block_size} · {describe_groups(groups)} · emb {config.n_embd} · hidden "
         f"{config.n_hidden}{' · BN bug' if bn_bug and bug_matters(config) else ''}")
live_run(STATE, config, train, settings, label, PAGE, LECTURE.sample_seed)
live_section(STATE, P, lambda current: panel.draw_training(current, P), share=share_live_run)

st.header("Performance log")
panel.performance_log_section(PAGE, P)

st.header("The same tree, slid along a name: a dilated convolution")
st.write("A name gives one training example per character. Each example runs the whole tree again, but "
         "neighbouring examples share most of their hidden units. A convolution computes each unit once and "
         "reuses it: the hierarchy above is a WaveNet's dilated convolution, one window at a time.")
name_col, window_col = st.columns([1, 2])
with name_col:
    word = persistent_widget(st.text_input, f"{P}_word", "diondre", param="word", label="A name", max_chars=20,
                             help="Any word made of the word list's characters; the lecture used 'diondre'.")
panel.dilated_section(word, groups, block_size, data.vocab, window_col, P)
export_menu(P)
page_end()
