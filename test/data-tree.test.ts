/**
 * The hardlink data tree after Readarr's retirement: it holds a folder pair for each library app's media kind
 * and no other, and a stack deployed when it still had `books` keeps the user's books folders and files, on
 * the update that drops the kind (the data-tree command's update runs `create`, which only adds) and on a
 * destroy (which removes only empty folders of the kinds it knows). Runs the real script, locally.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appsWithRole, CATALOG, MEDIA_KINDS } from "../components/catalog";
import { HostScriptAction, renderRemoteScript } from "../components/host-scripts";

const OLD_KINDS = ["tv", "movies", "music", "books"];

function dataTree(action: HostScriptAction, root: string, kinds: readonly string[]): string {
    const variables = { DATA_ROOT: root, PUID: process.getuid!(), PGID: process.getgid!(), MEDIA_KINDS: kinds.join(" "), STORAGE: "local", STORAGE_SOURCE: "" };
    return execFileSync("bash", ["-c", renderRemoteScript("data-tree", action, variables, { sudo: false })], { encoding: "utf8" });
}

test("the tree has one folder pair per library app's media kind, books no longer", () => {
    const kindsOfApps = appsWithRole("library").map((id) => CATALOG[id].mediaKind);
    expect([...MEDIA_KINDS].sort()).toEqual([...kindsOfApps].sort());
    expect(MEDIA_KINDS).not.toContain("books");
});

test("a tree made with books keeps the user's books through the update and a destroy", () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "homelab-tree-")), "data");
    try {
        dataTree("create", root, OLD_KINDS);
        const files = ["torrents/books/novel.epub", "media/books/Author/novel.epub"].map((f) => path.join(root, f));
        for (const file of files) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, "the user's book");
        }
        fs.chmodSync(path.join(root, "media/books"), 0o750);

        dataTree("create", root, MEDIA_KINDS);
        for (const file of files) expect(fs.readFileSync(file, "utf8")).toBe("the user's book");
        expect((fs.statSync(path.join(root, "media/books")).mode & 0o7777).toString(8)).toBe("750");

        const out = dataTree("delete", root, MEDIA_KINDS);
        for (const file of files) expect(fs.readFileSync(file, "utf8")).toBe("the user's book");
        expect(fs.existsSync(path.join(root, "media/tv"))).toBe(false);
        expect(out).toContain(`kept non-empty ${root}/media`);
    } finally {
        fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
});
