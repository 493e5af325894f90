/** The pack on the program's graph as `pulumi up` sees it: ids and image digests known. */
import { programSuite } from "./program-suite";

programSuite("update");
