/**
 * Where each fake comes from: the app it stands for, the upstream version whose source it was read at, and the
 * upstream files (with identifiers) it follows. `test/wiring/fakes-follow-pins.test.ts` compares `version`
 * with the catalog's pinned image tag, so an image bump cannot land until someone re-reads the new
 * version's API and updates the fake and this record.
 */
import { AppId } from "../../../components/catalog";

export interface FakeProvenance {
    /** The catalog app the fake stands for. */
    app: AppId;
    /** Upstream release the fake was checked against, as upstream spells it (e.g. "4.0.19.2960"). */
    version: string;
    /** Upstream repository the sources were read in (owner/name). */
    repository: string;
    /** Files and identifiers the fake follows, e.g. "src/Sonarr.Api.V3/Config/HostConfigController.cs: SaveHostConfig". */
    sources: string[];
    /** Behaviours that could not be read from source and are assumed; each is named by a test. */
    assumed?: string[];
}
