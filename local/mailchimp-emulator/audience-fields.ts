/**
 * The emulated audience's merge fields, interest categories and interests: what a member's
 * `merge_fields` and `interests` may name.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { invalidResource, notFound, validate } from './problems.ts';

export interface MergeField {
  readonly merge_id: number;
  readonly tag: string;
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default_value: string;
  readonly public: boolean;
  readonly display_order: number;
  readonly options: Record<string, unknown>;
  readonly help_text: string;
  readonly list_id: string;
}

export interface InterestCategory {
  readonly list_id: string;
  readonly id: string;
  readonly title: string;
  readonly display_order: number;
  readonly type: string;
}

export interface Interest {
  readonly category_id: string;
  readonly list_id: string;
  readonly id: string;
  readonly name: string;
  readonly display_order: number;
}

const mergeFieldBody = z.object({
  name: z.string().min(1).max(100),
  type: z.enum([
    'text',
    'number',
    'address',
    'phone',
    'date',
    'url',
    'imageurl',
    'radio',
    'dropdown',
    'birthday',
    'zip',
  ]),
  tag: z
    .string()
    .regex(/^[A-Z0-9_]{1,10}$/i)
    .optional(),
  required: z.boolean().optional(),
  default_value: z.string().optional(),
  public: z.boolean().optional(),
  display_order: z.number().int().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  help_text: z.string().optional(),
});

const interestCategoryBody = z.object({
  title: z.string().min(1).max(100),
  type: z.enum(['checkboxes', 'dropdown', 'radio', 'hidden']),
  display_order: z.number().int().optional(),
});

const interestBody = z.object({
  name: z.string().min(1).max(100),
  display_order: z.number().int().optional(),
});

export class AudienceFields {
  #mergeFields: MergeField[] = [];
  #categories: InterestCategory[] = [];
  #interests: Interest[] = [];
  #nextMergeId = 1;

  constructor(private readonly listId: string) {
    this.reset();
  }

  get mergeFields(): readonly MergeField[] {
    return this.#mergeFields;
  }

  get categories(): readonly InterestCategory[] {
    return this.#categories;
  }

  get interests(): readonly Interest[] {
    return this.#interests;
  }

  /** Back to a new audience's fields: FNAME and LNAME, no interests. */
  reset(): void {
    this.#mergeFields = [];
    this.#categories = [];
    this.#interests = [];
    this.#nextMergeId = 1;
    this.#addMergeField({ name: 'First Name', type: 'text', tag: 'FNAME' });
    this.#addMergeField({ name: 'Last Name', type: 'text', tag: 'LNAME' });
  }

  createMergeField(body: unknown): MergeField {
    return this.#addMergeField(validate(mergeFieldBody, body));
  }

  createCategory(body: unknown): InterestCategory {
    const input = validate(interestCategoryBody, body);
    if (this.#categories.some((category) => category.title === input.title)) {
      throw invalidResource([
        {
          field: 'title',
          message: `Cannot add "${input.title}" because it already exists on the list.`,
        },
      ]);
    }
    const category: InterestCategory = {
      list_id: this.listId,
      id: randomBytes(5).toString('hex'),
      title: input.title,
      display_order: input.display_order ?? this.#categories.length,
      type: input.type,
    };
    this.#categories.push(category);
    return category;
  }

  category(categoryId: string | undefined): InterestCategory {
    const category = this.#categories.find((c) => c.id === categoryId);
    if (!category) throw notFound();
    return category;
  }

  interestsOf(categoryId: string): Interest[] {
    return this.#interests.filter((interest) => interest.category_id === categoryId);
  }

  createInterest(categoryId: string | undefined, body: unknown): Interest {
    const category = this.category(categoryId);
    const input = validate(interestBody, body);
    if (this.interestsOf(category.id).some((interest) => interest.name === input.name)) {
      throw invalidResource([
        { field: 'name', message: `Cannot add "${input.name}" because it already exists on the list.` },
      ]);
    }
    const interest: Interest = {
      category_id: category.id,
      list_id: this.listId,
      id: randomBytes(5).toString('hex'),
      name: input.name,
      display_order: input.display_order ?? this.interestsOf(category.id).length,
    };
    this.#interests.push(interest);
    return interest;
  }

  #addMergeField(input: z.infer<typeof mergeFieldBody>): MergeField {
    const tag = (input.tag ?? input.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 10)).toUpperCase();
    if (tag === '' || tag === 'EMAIL' || this.#mergeFields.some((field) => field.tag === tag)) {
      throw invalidResource([
        { field: 'tag', message: `A Merge Field with the tag "${tag}" already exists.` },
      ]);
    }
    const merge_id = this.#nextMergeId++;
    const field: MergeField = {
      merge_id,
      tag,
      name: input.name,
      type: input.type,
      required: input.required ?? false,
      default_value: input.default_value ?? '',
      public: input.public ?? true,
      display_order: input.display_order ?? merge_id + 1,
      options: input.options ?? {},
      help_text: input.help_text ?? '',
      list_id: this.listId,
    };
    this.#mergeFields.push(field);
    return field;
  }
}
