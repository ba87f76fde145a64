import { notFound, parseId, type Genome, type Page, type PageRequest } from '../domain/index.js';
import type { GenomeSort, Repositories } from '../ports.js';

/** The genome catalog is public to every authenticated caller. */
export class GenomeService {
  constructor(private readonly repos: Repositories) {}

  async get(rawId: string): Promise<Genome> {
    const id = parseId(rawId, 'Genome');
    const genome = await this.repos.genomes.findById(id);
    if (!genome) throw notFound(`Genome id '${id}' doesn't exist`);
    return genome;
  }

  list(page: PageRequest<GenomeSort>): Promise<Page<Genome>> {
    return this.repos.genomes.list(page);
  }
}
