/* Research tool, not part of the product or its tests: align one piece with pocketsphinx
 * 5.1.1's grammar pass exactly as talkrig's pocketsphinx route does (same beams, topn 2,
 * ds 1, no bestpath), print the word segments, and optionally write the decoder's senone
 * scores for every frame (acmod_set_senfh; with COMPALL=1 in the environment all 5126
 * senones are scored each frame). Used to find why talkrig's numpy one-pass aligner ended
 * words elsewhere than the grammar pass (docs/FIELD_NOTES.md, "Alignment in numpy").
 *
 * Build against a static libpocketsphinx from the 5.1.1 sources (see ps_senone_dump.md):
 *   cc -O2 -o ps_senone_dump ps_senone_dump.c -I$PS/include -I$PS/src -I$PS/build \
 *      -I$PS/build/include $PS/build/libpocketsphinx.a -lm
 * Run: ps_senone_dump MODEL_DIR words.dict words.txt piece.raw [scores.sen]
 *   piece.raw: 16 kHz mono signed 16-bit little-endian samples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pocketsphinx.h>
#include "pocketsphinx_internal.h"
#include "acmod.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODEL_DIR DICT TEXT RAW [SENONE_FILE]\n", argv[0]);
        return 2;
    }
    ps_config_t *cfg = ps_config_init(NULL);
    ps_config_set_str(cfg, "hmm", argv[1]);
    ps_config_set_str(cfg, "dict", argv[2]);
    ps_config_set_bool(cfg, "bestpath", 0);
    ps_config_set_float(cfg, "beam", 1e-80);
    ps_config_set_float(cfg, "wbeam", 1e-60);
    ps_config_set_float(cfg, "pbeam", 1e-80);
    ps_config_set_int(cfg, "topn", 2);
    ps_config_set_int(cfg, "ds", 1);
    ps_config_set_str(cfg, "loglevel", "FATAL");
    if (getenv("COMPALL"))
        ps_config_set_bool(cfg, "compallsen", 1);
    ps_decoder_t *ps = ps_init(cfg);
    if (!ps) { fprintf(stderr, "decoder init failed\n"); return 1; }

    FILE *tf = fopen(argv[3], "r");
    if (!tf) { perror(argv[3]); return 1; }
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, tf);
    text[n] = 0;
    fclose(tf);
    if (ps_set_align_text(ps, text) < 0) { fprintf(stderr, "unknown word in text\n"); return 1; }

    FILE *rf = fopen(argv[4], "rb");
    if (!rf) { perror(argv[4]); return 1; }
    fseek(rf, 0, SEEK_END);
    long sz = ftell(rf);
    fseek(rf, 0, SEEK_SET);
    short *buf = malloc(sz);
    if (fread(buf, 1, sz, rf) != (size_t)sz) { fprintf(stderr, "short read\n"); return 1; }
    fclose(rf);

    if (argc > 5)          /* closed by acmod at the end of the utterance */
        acmod_set_senfh(ps->acmod, fopen(argv[5], "wb"));
    ps_start_utt(ps);
    ps_process_raw(ps, buf, sz / 2, FALSE, TRUE);
    ps_end_utt(ps);

    int32 score;
    const char *hyp = ps_get_hyp(ps, &score);
    printf("HYP %d %s\n", score, hyp ? hyp : "(none)");
    for (ps_seg_t *it = ps_seg_iter(ps); it; it = ps_seg_next(it)) {
        int sf, ef;
        ps_seg_frames(it, &sf, &ef);
        printf("SEG %s %d %d\n", ps_seg_word(it), sf, ef);
    }
    free(buf);
    ps_free(ps);
    return 0;
}
