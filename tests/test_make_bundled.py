"""The bundled data set is exactly what its generator writes, so it can be regenerated."""

import filecmp

from data_tools import make_bundled
from dlt_jax.data.readers import BUNDLED_DATA


def test_regenerating_the_bundled_data_gives_identical_files(tmp_path):
    make_bundled.write_folder_dataset(tmp_path / "sections")
    make_bundled.write_manifest_dataset(tmp_path / "manifest")
    for name in ("sections", "manifest"):
        committed, fresh = BUNDLED_DATA.parent / name, tmp_path / name
        for path in fresh.rglob("*"):
            if path.is_file():
                twin = committed / path.relative_to(fresh)
                assert filecmp.cmp(path, twin, shallow=False), f"{twin} differs from its generator's output"


def test_flow_boxes_give_one_box_per_node_inside_the_picture():
    html = make_bundled.load_json(make_bundled.FOLDER_EXAMPLES[0][2])
    boxes = make_bundled.flow_boxes(html)
    assert len(boxes) == 8
    assert boxes[0] == [0, 0, make_bundled.WIDTH, max(y + h for _, y, _, h in boxes)]
