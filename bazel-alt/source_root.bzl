"""source_root: the absolute path of the project's source tree (the parent of bazel-alt).

It plays the part of CMake's ${PROJECT_SOURCE_DIR} for the few places that bake a source
path into a binary (wsbridge finds web/ with it): chat.BUILD loads PROJECT_SOURCE_DIR from
@source_root//:paths.bzl.
"""

def _source_root_impl(ctx):
    root = ctx.path(Label("@//:WORKSPACE")).dirname.dirname
    ctx.file("WORKSPACE", "workspace(name = {})\n".format(repr(ctx.name)))
    ctx.file("BUILD.bazel", "exports_files([\"paths.bzl\"])\n")
    ctx.file("paths.bzl", "PROJECT_SOURCE_DIR = {}\n".format(repr(str(root))))

source_root = repository_rule(
    implementation = _source_root_impl,
    local = True,
)
