"""Run by test_peer_pixels.py with a Python that has cytomine-python-client: the official
client downloads a window, a crop, a mask and a thumbnail from the bundled server.

    python cytomine_client_pixels.py URL PUBLIC_KEY PRIVATE_KEY PROJECT OUTDIR
"""

import logging
import sys

from cytomine import Cytomine
from cytomine.models import Annotation, ImageInstanceCollection
from shapely.geometry import box

url, public, private, project, out = sys.argv[1:6]
with Cytomine(url, public, private, log_level=logging.WARNING):
    image = ImageInstanceCollection().fetch_with_filter("project", int(project))[0]
    ok = [image.window(100, 200, 300, 150, dest_pattern=f"{out}/window.png", max_size=150),
          image.window(100, 200, 300, 150, dest_pattern=f"{out}/window-zoom.png", zoom=1)]
    annotation = Annotation(location=box(100, 200, 164, 232).wkt, id_image=image.id, id_project=int(project)).save()
    ok += [annotation.dump(dest_pattern=f"{out}/crop.png"), annotation.dump(dest_pattern=f"{out}/mask.png", mask=True),
           image.dump(dest_pattern=f"{out}/thumb.png", max_size=64)]
    print(image.id, image.height, all(ok))
