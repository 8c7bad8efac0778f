"""The published site: `radioplay publish` renders episodes through the pipeline, then this stage
reads the rendered episodes and their sidecars and writes feed.xml, index.html and one page per
episode (radioplay.site.build.publish_site)."""
