"""backoffice-site: a static-site generator for Japanese glossary and explainer sites.

The pipeline reads top to bottom in the module list:
``sources`` (read files) → ``yamlsrc``/``frontmatter`` (parse with positions) → ``load`` (typed model)
→ ``resolve`` (URLs, names, cross references) → ``markdown_render``/``autolink`` → ``render`` (Jinja)
→ ``output`` (atomic write). ``build`` wires the stages; ``cli`` is the shell around it.
"""

__version__ = "0.1.0"
